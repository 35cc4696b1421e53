// The Federation object's SQLite tables: its own record, enrolled clients, rounds, published
// versions and evaluations, plus the usage ledger. It reads and writes; the object decides.

import type { EnrolledClient } from "../core/wire/clients.ts";
import type { FederationConfig, Federation as FederationRecord, Usage } from "../core/wire/federation.ts";
import type { EvaluationReport, ModelVersion, VersionEvaluation } from "../core/wire/models.ts";
import type { RoundSummary } from "../core/wire/rounds.ts";
import { Changes } from "./changes.ts";
import { Availability } from "./federation-availability.ts";
import { privacySpent as privacySpentAt } from "./federation-privacy.ts";
import { addUsage, readUsage } from "./federation-usage.ts";
import { hasSchema, migrate } from "./migrations.ts";
import { ShardTotals } from "./shard-totals.ts";
import { type Sql, sqlOf } from "./sql.ts";

const MIGRATIONS = [
  `CREATE TABLE federation (id INTEGER PRIMARY KEY CHECK (id = 1), record TEXT NOT NULL);
   CREATE TABLE clients (id TEXT PRIMARY KEY, label TEXT, token_hash TEXT NOT NULL, enrolled_at TEXT NOT NULL, revoked_at TEXT);
   CREATE TABLE rounds (round INTEGER PRIMARY KEY, summary TEXT NOT NULL);
   CREATE TABLE versions (version INTEGER PRIMARY KEY, sha256 TEXT NOT NULL, bytes INTEGER NOT NULL, created_at TEXT NOT NULL, round INTEGER);
   CREATE TABLE evaluations (version INTEGER NOT NULL, client_id TEXT NOT NULL, auc REAL NOT NULL, examples INTEGER NOT NULL, reported_at TEXT NOT NULL, PRIMARY KEY (version, client_id));
   CREATE TABLE usage (key TEXT PRIMARY KEY, value INTEGER NOT NULL);`,
  // The edge's signature of each version; versions published before it signed are signed on load.
  `ALTER TABLE versions ADD COLUMN signature TEXT;`,
  // Whether each version is final (its training over): clients read only those and the ones no
  // round made. Versions published before this column are classified when the object loads.
  `ALTER TABLE versions ADD COLUMN final INTEGER;`,
];

/** The federation's own row: what is not a table of its own. */
export interface StoredFederation {
  id: string;
  tenantId: string;
  createdAt: string;
  config: FederationConfig;
  /** The pointer clients read: moved only after the version's bytes are in KV. */
  latestVersion: number;
  nextRound: number;
  currentRound: number | null;
}

/**
 * A page of a list, by number (round, version): the `limit` highest below `before`, oldest first.
 * Without either, the whole list.
 */
export interface ListPage {
  before?: number;
  limit?: number;
}

/** SQLite reads LIMIT -1 as no limit; every round and version number is below the sentinel. */
const pageBounds = (page: ListPage) => ({
  before: page.before ?? Number.MAX_SAFE_INTEGER,
  limit: page.limit ?? -1,
});

/** A version as it is published: its row, and whether its state is final (no round trains it further). */
export type PublishedVersion = ModelVersion & { final: boolean };

/**
 * The versions a query covers: all of them (owners), or what a client may read: final versions,
 * those no round made, and `roundVersion`, the version of the round in progress when the client
 * is in its cohort (null otherwise).
 */
export type VersionScope = { kind: "all" } | { kind: "client"; roundVersion: number | null };

/** An enrolled client's token hash, which access checks and round cohorts compare against. */
export interface ClientToken {
  id: string;
  tokenHash: string;
  revokedAt: string | null;
}

export class FederationStore {
  private readonly storage: DurableObjectStorage;
  private readonly sql: Sql;
  private stored: StoredFederation | undefined;
  /** Check-ins and the schedule's state (federation-availability.ts). */
  readonly availability: Availability;
  /** What a sharded round's finished shards left until the round ends (shard-totals.ts). */
  readonly shardTotals: ShardTotals;
  /** Long polls on the federation's rounds, woken whenever the record or a round is saved. */
  readonly changes = new Changes();
  #viewed: { round: number; summary: RoundSummary } | undefined;

  constructor(storage: DurableObjectStorage) {
    this.storage = storage;
    this.sql = sqlOf(storage.sql);
    this.availability = new Availability(storage, this.sql);
    this.shardTotals = new ShardTotals(storage, this.sql);
  }

  /** Loads the record (under blockConcurrencyWhile); an object reached by an unknown id stays empty. */
  load(): void {
    if (!hasSchema(this.storage.sql)) return;
    migrate(this.storage.sql, MIGRATIONS);
    const row = this.sql.first<{ record: string }>`SELECT record FROM federation`;
    this.stored = row ? (JSON.parse(row.record) as StoredFederation) : undefined;
  }

  /** The tables of a federation being created. */
  createTables(): void {
    migrate(this.storage.sql, MIGRATIONS);
  }

  /** The record, or undefined before the federation is created. */
  get record(): StoredFederation | undefined {
    return this.stored;
  }

  /** The record of a federation known to exist (records are never removed once created). */
  created(): StoredFederation {
    if (!this.stored) throw new Error("the federation does not exist");
    return this.stored;
  }

  /** Runs several writes as one transaction: all of them happen or none. */
  transaction(write: () => void): void {
    this.storage.transactionSync(write);
  }

  saveRecord(record: StoredFederation): void {
    this.sql`INSERT INTO federation (id, record) VALUES (1, ${JSON.stringify(record)})
             ON CONFLICT(id) DO UPDATE SET record = excluded.record`;
    this.stored = record;
    this.changes.notify();
  }

  /** The record as the API shows it: with its active client count and usage. */
  describe(record: StoredFederation): FederationRecord {
    const active = this.sql.first<{ n: number }>`SELECT COUNT(*) AS n FROM clients WHERE revoked_at IS NULL`;
    const privacySpent = privacySpentAt(record.config, record.latestVersion);
    return {
      id: record.id,
      tenantId: record.tenantId,
      createdAt: record.createdAt,
      config: record.config,
      latestVersion: record.latestVersion,
      clientCount: active?.n ?? 0,
      currentRound: record.currentRound,
      training: this.availability.status(record.config.schedule, Date.now()),
      usage: this.usage(),
      ...(privacySpent ? { privacySpent } : {}),
    };
  }

  enrolClient(client: EnrolledClient, tokenHash: string): void {
    this.sql`INSERT INTO clients (id, label, token_hash, enrolled_at)
             VALUES (${client.id}, ${client.label}, ${tokenHash}, ${client.enrolledAt})`;
  }

  clients(): EnrolledClient[] {
    return this.sql<EnrolledClient>`
      SELECT id, label, enrolled_at, revoked_at FROM clients ORDER BY enrolled_at, id`;
  }

  /** Every enrolled client's token, revoked ones included. */
  clientTokens(): ClientToken[] {
    return this.sql<ClientToken>`SELECT id, token_hash, revoked_at FROM clients`;
  }

  clientToken(clientId: string): ClientToken | undefined {
    return this.sql.first<ClientToken>`SELECT id, token_hash, revoked_at FROM clients WHERE id = ${clientId}`;
  }

  /** Revokes an active client; false when there is none by that id. */
  revokeClient(clientId: string, revokedAt: string): boolean {
    const written = this.sql.write`
      UPDATE clients SET revoked_at = ${revokedAt} WHERE id = ${clientId} AND revoked_at IS NULL`;
    return written > 0;
  }

  saveRound(summary: RoundSummary): void {
    this.sql`INSERT INTO rounds (round, summary) VALUES (${summary.round}, ${JSON.stringify(summary)})
             ON CONFLICT(round) DO UPDATE SET summary = excluded.summary`;
    // Dropped, not replaced: the caller's transaction may still roll this write back.
    this.#viewed = undefined;
    this.changes.notify();
  }

  /** The rounds of the page, oldest first. */
  rounds(page: ListPage = {}): RoundSummary[] {
    const { before, limit } = pageBounds(page);
    return this.sql<{ summary: string }>`
      SELECT summary FROM rounds WHERE round < ${before} ORDER BY round DESC LIMIT ${limit}`
      .map((r) => JSON.parse(r.summary) as RoundSummary)
      .reverse();
  }

  round(round: number): RoundSummary | undefined {
    const row = this.sql.first<{ summary: string }>`SELECT summary FROM rounds WHERE round = ${round}`;
    return row && (JSON.parse(row.summary) as RoundSummary);
  }

  /**
   * A round to read, never to change: one parsed and frozen copy until the round is saved again.
   * Every held check-in reads the current round whenever the federation changes, and every model
   * fetch checks it, so at a thousand clients parsing its cohort each time was quadratic work.
   */
  viewRound(round: number): Readonly<RoundSummary> | undefined {
    if (this.#viewed?.round === round) return this.#viewed.summary;
    const summary = this.round(round);
    if (summary) this.#viewed = { round, summary: deepFreeze(summary) };
    return summary;
  }

  /** A published version's row (inside the caller's transaction); round null: no round made it. */
  addVersion(version: PublishedVersion): void {
    this.sql`INSERT INTO versions (version, sha256, bytes, created_at, round, signature, final)
             VALUES (${version.version}, ${version.sha256}, ${version.bytes}, ${version.createdAt},
                     ${version.round}, ${version.signature}, ${version.final ? 1 : 0})`;
  }

  /** The versions in scope on the page, oldest first. */
  versions(scope: VersionScope = { kind: "all" }, page: ListPage = {}): ModelVersion[] {
    const { all, roundVersion } = bounds(scope);
    const { before, limit } = pageBounds(page);
    return this.sql<ModelVersion>`
      SELECT version, sha256, bytes, created_at, round, signature FROM versions
      WHERE (${all} = 1 OR final = 1 OR round IS NULL OR version = ${roundVersion}) AND version < ${before}
      ORDER BY version DESC LIMIT ${limit}`.reverse();
  }

  /** A version, when it is in scope. */
  version(version: number, scope: VersionScope = { kind: "all" }): ModelVersion | undefined {
    const { all, roundVersion } = bounds(scope);
    return this.sql.first<ModelVersion>`
      SELECT version, sha256, bytes, created_at, round, signature FROM versions
      WHERE version = ${version} AND (${all} = 1 OR final = 1 OR round IS NULL OR version = ${roundVersion})`;
  }

  /** Versions published before the edge signed them (the migration left their signature null). */
  unsignedVersions(): { version: number; sha256: string }[] {
    return this.sql<{ version: number; sha256: string }>`
      SELECT version, sha256 FROM versions WHERE signature IS NULL ORDER BY version`;
  }

  setSignature(version: number, signature: string): void {
    this.sql`UPDATE versions SET signature = ${signature} WHERE version = ${version}`;
  }

  /**
   * The newest version a client's latest pointer may name: final or made by no round (never a
   * round's version, which a cohort member reads only while the round runs).
   */
  latestForClients(): ModelVersion {
    const row = this.sql.first<ModelVersion>`
      SELECT version, sha256, bytes, created_at, round, signature FROM versions
      WHERE final = 1 OR round IS NULL ORDER BY version DESC LIMIT 1`;
    // Version 0 is made by no round, so there is always one.
    if (!row) throw new Error("the federation has no version clients may read");
    return row;
  }

  /** Versions published before their finality was recorded. */
  unclassifiedVersions(): number[] {
    return this.sql<{ version: number }>`SELECT version FROM versions WHERE final IS NULL`.map(
      (r) => r.version,
    );
  }

  classifyVersion(version: number, final: boolean): void {
    this.sql`UPDATE versions SET final = ${final ? 1 : 0} WHERE version = ${version}`;
  }

  /** A client's evaluation of a version; a later report of the same client replaces its earlier one. */
  saveEvaluation(version: number, clientId: string, report: EvaluationReport, reportedAt: string): void {
    this.sql`INSERT INTO evaluations (version, client_id, auc, examples, reported_at)
             VALUES (${version}, ${clientId}, ${report.auc}, ${report.examples}, ${reportedAt})
             ON CONFLICT(version, client_id) DO UPDATE
             SET auc = excluded.auc, examples = excluded.examples, reported_at = excluded.reported_at`;
  }

  /** Each version's mean AUC over its reports, weighted by the examples behind each. */
  evaluations(): VersionEvaluation[] {
    return this.sql<VersionEvaluation>`
      SELECT version, SUM(auc * examples) / SUM(examples) AS mean_auc, COUNT(*) AS reports,
             SUM(examples) AS examples
      FROM evaluations GROUP BY version ORDER BY version`;
  }

  evaluation(version: number): VersionEvaluation | undefined {
    return this.sql.first<VersionEvaluation>`
      SELECT version, SUM(auc * examples) / SUM(examples) AS mean_auc, COUNT(*) AS reports,
             SUM(examples) AS examples
      FROM evaluations WHERE version = ${version} GROUP BY version`;
  }

  usage(): Usage {
    return readUsage(this.sql);
  }

  addUsage(delta: Partial<Usage>): void {
    addUsage(this.sql, delta);
  }
}

/** A scope as bound parameters: everything, or a client's versions with its round's (-1: none). */
function bounds(scope: VersionScope): { all: number; roundVersion: number } {
  return scope.kind === "all"
    ? { all: 1, roundVersion: -1 }
    : { all: 0, roundVersion: scope.roundVersion ?? -1 };
}

/** Freezes a parsed JSON value all the way down, so that a shared copy cannot be changed. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object") {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
