// A federation's durable state: configuration, enrolled clients, rounds, model versions, usage.
// It opens rounds (sampling the cohort and reserving the tenant's quota), and when a Round reports
// its total it finalizes the next model, publishes it to KV under a new immutable key, and only
// then moves the latest-version pointer kept here.
import { DurableObject } from "cloudflare:workers";
import { decodeModelFile, encodeModelFile, type ModelFile } from "../core/model-file.ts";
import { type RoundConfig, validateRoundConfig } from "../core/secagg/index.ts";
import { type RouterStrategy, type StrategySetup, strategyFor } from "../core/strategies.ts";
import type { ClientEnrolment, EnrolClient, EnrolledClient } from "../core/wire/clients.ts";
import type { FederationOverview } from "../core/wire/dashboard.ts";
import { failure, type Result, success } from "../core/wire/errors.ts";
import type {
  FederationConfig,
  Federation as FederationRecord,
  Growth,
  Usage,
} from "../core/wire/federation.ts";
import {
  type EvaluationReport,
  type ModelPointer,
  type ModelVersion,
  modelKey,
  modelPath,
  type VersionEvaluation,
} from "../core/wire/models.ts";
import type { RoundSummary } from "../core/wire/rounds.ts";
import { formatClientToken } from "../core/wire/tokens.ts";
import type { Caller } from "./caller.ts";
import { checkCohort, sampleCohort } from "./cohort.ts";
import { randomId, randomSecret, secretMatches, sha256Hex } from "./credentials.ts";
import { grownModel } from "./growth.ts";
import { hasSchema, migrate } from "./migrations.ts";
import {
  encodingScale,
  type RoundSetup,
  type RoundUsage,
  roundObjectName,
  secureRoundId,
} from "./round-setup.ts";
import { Serial } from "./serial.ts";

const MIGRATIONS = [
  `CREATE TABLE federation (id INTEGER PRIMARY KEY CHECK (id = 1), record TEXT NOT NULL);
   CREATE TABLE clients (id TEXT PRIMARY KEY, label TEXT, token_hash TEXT NOT NULL, enrolled_at TEXT NOT NULL, revoked_at TEXT);
   CREATE TABLE rounds (round INTEGER PRIMARY KEY, summary TEXT NOT NULL);
   CREATE TABLE versions (version INTEGER PRIMARY KEY, sha256 TEXT NOT NULL, bytes INTEGER NOT NULL, created_at TEXT NOT NULL, round INTEGER);
   CREATE TABLE evaluations (version INTEGER NOT NULL, client_id TEXT NOT NULL, auc REAL NOT NULL, examples INTEGER NOT NULL, reported_at TEXT NOT NULL, PRIMARY KEY (version, client_id));
   CREATE TABLE usage (key TEXT PRIMARY KEY, value INTEGER NOT NULL);`,
];

/** The federation's own row: what is not a table of its own. */
interface StoredFederation {
  id: string;
  tenantId: string;
  createdAt: string;
  config: FederationConfig;
  /** The pointer clients read: moved only after the version's bytes are in KV. */
  latestVersion: number;
  nextRound: number;
  currentRound: number | null;
}

const USAGE_KEYS = [
  "roundsRun",
  "roundsAborted",
  "updatesAggregated",
  "bytesIngested",
  "modelsServed",
] as const;

function setupOf(config: FederationConfig): StrategySetup {
  return {
    models: config.models.map((m) => m.id),
    embedder: config.embedder,
    hyperparameters: config.router.hyperparameters,
  };
}

export class Federation extends DurableObject<Env> {
  private record: StoredFederation | undefined;
  private readonly serial = new Serial();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      // Objects reached by an unknown id stay empty: tables appear only when the object is created.
      if (!hasSchema(ctx.storage.sql)) return;
      migrate(ctx.storage.sql, MIGRATIONS);
      const row = ctx.storage.sql.exec<{ record: string }>("SELECT record FROM federation").toArray()[0];
      this.record = row ? (JSON.parse(row.record) as StoredFederation) : undefined;
    });
  }

  /** Creates the federation and publishes its initial model as version 0. */
  async create(id: string, tenantId: string, config: FederationConfig): Promise<Result<FederationRecord>> {
    return this.serial.run(async () => {
      if (this.record) return failure("conflict", "federation already exists");
      migrate(this.ctx.storage.sql, MIGRATIONS);
      const strategy = strategyFor(config.router.kind);
      if (!strategy) return failure("invalid_config", `unknown router kind "${config.router.kind}"`);
      const setup = setupOf(config);
      const refusal = strategy.checkHyperparameters(setup);
      if (refusal) return failure("invalid_config", refusal);
      let initial: ModelFile;
      try {
        initial = strategy.initialModel(setup);
      } catch (error) {
        return failure(
          "invalid_config",
          `cannot build the initial ${config.router.kind} model: ${(error as Error).message}`,
        );
      }
      const record: StoredFederation = {
        id,
        tenantId,
        createdAt: new Date().toISOString(),
        config,
        latestVersion: 0,
        nextRound: 1,
        currentRound: null,
      };
      const bytes = encodeModelFile(initial);
      const sha256 = await this.putModel(id, 0, bytes);
      this.ctx.storage.transactionSync(() => {
        this.insertVersion(0, sha256, bytes.length, null, record.createdAt);
        this.saveRecord(record);
      });
      return success(this.describeRecord(record));
    });
  }

  async describe(caller: Caller): Promise<Result<FederationRecord>> {
    const allowed = await this.authorize(caller, ["owner", "client"]);
    if (!allowed.ok) return allowed;
    return success(this.describeRecord(this.record!));
  }

  async overview(caller: Caller): Promise<Result<FederationOverview>> {
    const allowed = await this.authorize(caller, ["owner"]);
    if (!allowed.ok) return allowed;
    return success({
      federation: this.describeRecord(this.record!),
      rounds: this.rounds(),
      versions: this.versions(),
      evaluations: this.evaluations(),
    });
  }

  async enrolClient(caller: Caller, input: EnrolClient): Promise<Result<ClientEnrolment>> {
    const allowed = await this.authorize(caller, ["owner"]);
    if (!allowed.ok) return allowed;
    const id = randomId("cli", 8);
    const secret = randomSecret();
    const client: EnrolledClient = {
      id,
      label: input.label ?? null,
      enrolledAt: new Date().toISOString(),
      revokedAt: null,
    };
    this.ctx.storage.sql.exec(
      "INSERT INTO clients (id, label, token_hash, enrolled_at) VALUES (?, ?, ?, ?)",
      id,
      client.label,
      await sha256Hex(secret),
      client.enrolledAt,
    );
    return success({ client, token: formatClientToken(this.record!.id, id, secret) });
  }

  async listClients(caller: Caller): Promise<Result<EnrolledClient[]>> {
    const allowed = await this.authorize(caller, ["owner"]);
    if (!allowed.ok) return allowed;
    return success(
      this.ctx.storage.sql
        .exec<{ id: string; label: string | null; enrolled_at: string; revoked_at: string | null }>(
          "SELECT id, label, enrolled_at, revoked_at FROM clients ORDER BY enrolled_at, id",
        )
        .toArray()
        .map((r) => ({ id: r.id, label: r.label, enrolledAt: r.enrolled_at, revokedAt: r.revoked_at })),
    );
  }

  /** Revokes a client's token here and in the round in progress (which holds a copy of its hash). */
  async revokeClient(
    caller: Caller,
    clientId: string,
  ): Promise<Result<{ clientId: string; revokedAt: string }>> {
    const allowed = await this.authorize(caller, ["owner"]);
    if (!allowed.ok) return allowed;
    const revokedAt = new Date().toISOString();
    const cursor = this.ctx.storage.sql.exec(
      "UPDATE clients SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
      revokedAt,
      clientId,
    );
    if (cursor.rowsWritten === 0) return failure("not_found", `no active client ${clientId}`);
    const current = this.record!.currentRound;
    if (current !== null) await this.roundStub(current).revoke(clientId);
    return success({ clientId, revokedAt });
  }

  /**
   * Opens the next round: samples the cohort (or checks the owner's), reserves the tenant's quota,
   * and starts the Round object.
   */
  async startRound(caller: Caller, cohort?: readonly string[]): Promise<Result<RoundSummary>> {
    const allowed = await this.authorize(caller, ["owner"]);
    if (!allowed.ok) return allowed;
    return this.serial.run(async () => {
      const record = this.record!;
      if (record.currentRound !== null)
        return failure("conflict", `round ${record.currentRound} is still in progress`);
      const { roundPolicy, secureAggregation, clipping } = record.config;
      const enrolled = this.ctx.storage.sql
        .exec<{ id: string; token_hash: string; revoked_at: string | null }>(
          "SELECT id, token_hash, revoked_at FROM clients",
        )
        .toArray();
      const active = enrolled.filter((c) => c.revoked_at === null);
      const chosen =
        cohort === undefined
          ? undefined
          : checkCohort(
              cohort,
              new Map(enrolled.map((c) => [c.id, { revoked: c.revoked_at !== null }])),
              roundPolicy,
            );
      if (chosen && !chosen.ok) return chosen;
      if (active.length < roundPolicy.minParticipants)
        return failure(
          "conflict",
          `a round needs at least ${roundPolicy.minParticipants} enrolled clients; ${active.length} are enrolled`,
        );
      const loaded = await this.loadGlobal(record.latestVersion);
      if (!loaded.ok) return loaded;
      const { algorithm, global } = loaded.value;
      if (algorithm.done(global))
        return failure("conflict", "training has finished: the latest model is final");
      const wanted = Math.max(
        roundPolicy.minParticipants,
        Math.round(roundPolicy.participationFraction * active.length),
      );
      const size = chosen ? chosen.value.length : Math.min(roundPolicy.cohortSize, active.length, wanted);
      const round = record.nextRound;
      const secure: RoundConfig = {
        roundId: secureRoundId(record.id, round),
        curve: secureAggregation.curve,
        maxClients: size,
        threshold: secureAggregation.threshold,
        neighbourDegree: secureAggregation.neighbourDegree,
        vectorLength: algorithm.contributionLength(global),
        clip: clipping,
        scale: encodingScale(size, clipping),
        maxWeight: 1,
      };
      const valid = validateRoundConfig(secure);
      if (!valid.ok) return failure("invalid_config", valid.message);
      const reserved = await this.env.TENANTS.getByName(record.tenantId).reserveUpdates(size);
      if (!reserved.ok) return reserved;
      const hashes = new Map(active.map((c) => [c.id, c.token_hash]));
      const setup: RoundSetup = {
        federationId: record.id,
        round,
        modelVersion: record.latestVersion,
        secureAggregation: valid.value,
        cohort: (chosen ? chosen.value : sampleCohort([...hashes.keys()], size)).map((clientId) => ({
          clientId,
          tokenHash: hashes.get(clientId)!,
        })),
        minParticipants: roundPolicy.minParticipants,
        deadlines: roundPolicy.deadlines,
      };
      const opened = await this.roundStub(round).open(setup);
      if (!opened.ok) return opened;
      this.ctx.storage.transactionSync(() => {
        this.storeRound(opened.value);
        this.saveRecord({ ...record, nextRound: round + 1, currentRound: round });
      });
      return success(opened.value);
    });
  }

  /**
   * Grows a trained federation (new LLMs, or joining organisations): the grown state is published
   * as the next version, which the following rounds train from.
   */
  async grow(caller: Caller, growth: Growth): Promise<Result<FederationRecord>> {
    const allowed = await this.authorize(caller, ["owner"]);
    if (!allowed.ok) return allowed;
    return this.serial.run(async () => {
      const record = this.record!;
      if (record.currentRound !== null)
        return failure("conflict", `round ${record.currentRound} is still in progress`);
      const loaded = await this.loadGlobal(record.latestVersion);
      if (!loaded.ok) return loaded;
      const { strategy, algorithm, global } = loaded.value;
      const grown = grownModel(strategy, algorithm, global, record.config, growth);
      if (!grown.ok) return grown;
      const bytes = encodeModelFile(grown.value.file);
      const version = record.latestVersion + 1;
      const sha256 = await this.putModel(record.id, version, bytes);
      const next: StoredFederation = { ...record, config: grown.value.config, latestVersion: version };
      this.ctx.storage.transactionSync(() => {
        this.insertVersion(version, sha256, bytes.length, null);
        this.saveRecord(next);
      });
      return success(this.describeRecord(next));
    });
  }

  async listRounds(caller: Caller): Promise<Result<RoundSummary[]>> {
    const allowed = await this.authorize(caller, ["owner", "client"]);
    if (!allowed.ok) return allowed;
    return success(this.rounds());
  }

  async getRound(caller: Caller, round: number | "current"): Promise<Result<RoundSummary>> {
    const allowed = await this.authorize(caller, ["owner", "client"]);
    if (!allowed.ok) return allowed;
    const number = round === "current" ? this.record!.currentRound : round;
    const summary = number === null ? undefined : this.rounds(number)[0];
    if (!summary)
      return failure("not_found", round === "current" ? "no round is in progress" : `no round ${round}`);
    return success(summary);
  }

  async latestModel(caller: Caller): Promise<Result<ModelPointer>> {
    const allowed = await this.authorize(caller, ["owner", "client"]);
    if (!allowed.ok) return allowed;
    const record = this.record!;
    const version = this.versions(record.latestVersion)[0]!;
    return success({ ...version, federationId: record.id, url: modelPath(record.id, version.version) });
  }

  async listVersions(caller: Caller): Promise<Result<ModelVersion[]>> {
    const allowed = await this.authorize(caller, ["owner", "client"]);
    if (!allowed.ok) return allowed;
    return success(this.versions());
  }

  /** Authorizes reading a published version's bytes and counts it as served. */
  async serveVersion(caller: Caller, version: number): Promise<Result<ModelVersion & { key: string }>> {
    const allowed = await this.authorize(caller, ["owner", "client"]);
    if (!allowed.ok) return allowed;
    const record = this.record!;
    const found = version <= record.latestVersion ? this.versions(version)[0] : undefined;
    if (!found) return failure("not_found", `model version ${version} is not published`);
    this.addUsage({ modelsServed: 1 });
    return success({ ...found, key: modelKey(record.id, version) });
  }

  async reportEvaluation(
    caller: Caller,
    version: number,
    report: EvaluationReport,
  ): Promise<Result<VersionEvaluation>> {
    const allowed = await this.authorize(caller, ["client"]);
    if (!allowed.ok) return allowed;
    if (version > this.record!.latestVersion || !this.versions(version)[0])
      return failure("not_found", `model version ${version} is not published`);
    this.ctx.storage.sql.exec(
      `INSERT INTO evaluations (version, client_id, auc, examples, reported_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(version, client_id) DO UPDATE SET auc = excluded.auc, examples = excluded.examples, reported_at = excluded.reported_at`,
      version,
      allowed.value.clientId!,
      report.auc,
      report.examples,
      new Date().toISOString(),
    );
    return success(this.evaluations(version)[0]!);
  }

  async usage(caller: Caller): Promise<Result<Usage>> {
    const allowed = await this.authorize(caller, ["owner"]);
    if (!allowed.ok) return allowed;
    return success(this.readUsage());
  }

  /** A Round reports progress (stage changes) or its abort; an aborted round frees the federation. */
  async recordRound(summary: RoundSummary, usage?: RoundUsage): Promise<Result<null>> {
    return this.serial.run(async () => {
      const record = this.record;
      if (!record || summary.federationId !== record.id) return failure("not_found", "no such federation");
      const known = this.rounds(summary.round)[0];
      if (!known) return failure("not_found", `no round ${summary.round}`);
      if (known.outcome) return success(null);
      this.ctx.storage.transactionSync(() => {
        this.storeRound(summary);
        if (summary.outcome?.kind === "aborted") {
          this.addUsage({ roundsAborted: 1, bytesIngested: usage?.bytes ?? 0 });
          if (record.currentRound === summary.round) this.saveRecord({ ...record, currentRound: null });
        }
      });
      return success(null);
    });
  }

  /**
   * A Round's decoded total: finalize the next global state, write its model file under a new
   * immutable key, then move the pointer. Repeating the call for a published round returns the
   * same version; a failure before the pointer moves leaves the previous model served.
   */
  async completeRound(
    summary: RoundSummary,
    total: Float64Array,
    usage: RoundUsage,
  ): Promise<Result<{ version: number }>> {
    return this.serial.run(async () => {
      const record = this.record;
      if (!record || summary.federationId !== record.id) return failure("not_found", "no such federation");
      const known = this.rounds(summary.round)[0];
      if (!known) return failure("not_found", `no round ${summary.round}`);
      if (known.outcome?.kind === "published") return success({ version: known.outcome.version });
      if (known.outcome || record.currentRound !== summary.round)
        return failure("conflict", `round ${summary.round} is not the round in progress`);
      if (summary.modelVersion !== record.latestVersion)
        return failure(
          "conflict",
          `round ${summary.round} trained on version ${summary.modelVersion}, latest is ${record.latestVersion}`,
        );
      const loaded = await this.loadGlobal(record.latestVersion);
      if (!loaded.ok) return loaded;
      const { algorithm, global } = loaded.value;
      if (total.length !== algorithm.contributionLength(global))
        return failure(
          "invalid_vector",
          `total has ${total.length} elements, expected ${algorithm.contributionLength(global)}`,
        );
      let bytes: Uint8Array;
      try {
        bytes = encodeModelFile(algorithm.toModelFile(algorithm.finalize(global, total)));
      } catch (error) {
        return failure("internal", `finalize failed: ${(error as Error).message}`);
      }
      const version = record.latestVersion + 1;
      const sha256 = await this.putModel(record.id, version, bytes);
      this.movePointer(
        { ...summary, outcome: { kind: "published", version } },
        version,
        sha256,
        bytes.length,
        usage,
      );
      return success({ version });
    });
  }

  /**
   * Writes a version's bytes under its immutable KV key, before any pointer names it; returns
   * their SHA-256.
   */
  private async putModel(federationId: string, version: number, bytes: Uint8Array): Promise<string> {
    await this.env.MODELS.put(modelKey(federationId, version), bytes);
    return sha256Hex(bytes);
  }

  /** A published version's row (inside the caller's transaction); round null: no round made it. */
  private insertVersion(
    version: number,
    sha256: string,
    size: number,
    round: number | null,
    createdAt = new Date().toISOString(),
  ): void {
    this.ctx.storage.sql.exec(
      "INSERT INTO versions (version, sha256, bytes, created_at, round) VALUES (?, ?, ?, ?, ?)",
      version,
      sha256,
      size,
      createdAt,
      round,
    );
  }

  /** The pointer move: one transaction records the version, the round's outcome, usage and the pointer. */
  private movePointer(
    summary: RoundSummary,
    version: number,
    sha256: string,
    size: number,
    usage: RoundUsage,
  ): void {
    const record = this.record!;
    this.ctx.storage.transactionSync(() => {
      this.insertVersion(version, sha256, size, summary.round);
      this.storeRound(summary);
      this.addUsage({ roundsRun: 1, updatesAggregated: usage.updates, bytesIngested: usage.bytes });
      this.saveRecord({ ...record, latestVersion: version, currentRound: null });
    });
  }

  private async loadGlobal(
    version: number,
  ): Promise<
    Result<{ strategy: RouterStrategy; algorithm: ReturnType<RouterStrategy["algorithm"]>; global: unknown }>
  > {
    const config = this.record!.config;
    const strategy = strategyFor(config.router.kind);
    if (!strategy) return failure("invalid_config", `router kind "${config.router.kind}" is not available`);
    const bytes = await this.env.MODELS.get(modelKey(this.record!.id, version), "arrayBuffer");
    if (!bytes) return failure("internal", `model version ${version} is missing from the store`);
    const algorithm = strategy.algorithm(setupOf(config));
    return success({
      strategy,
      algorithm,
      global: algorithm.fromModelFile(decodeModelFile(new Uint8Array(bytes))),
    });
  }

  private async authorize(
    caller: Caller,
    allowed: readonly Caller["kind"][],
  ): Promise<Result<{ clientId?: string }>> {
    const record = this.record;
    // A foreign tenant's token sees the same answer as a federation that does not exist.
    if (!record || (caller.kind === "owner" && caller.tenantId !== record.tenantId))
      return failure("not_found", "no such federation");
    if (caller.kind === "client") {
      const row = this.ctx.storage.sql
        .exec<{ token_hash: string; revoked_at: string | null }>(
          "SELECT token_hash, revoked_at FROM clients WHERE id = ?",
          caller.clientId,
        )
        .toArray()[0];
      const matches = await secretMatches(caller.secret, row?.token_hash ?? "0".repeat(64));
      if (!row || row.revoked_at !== null || !matches)
        return failure("unauthorized", "invalid or revoked client token");
    }
    if (!allowed.includes(caller.kind))
      return failure(
        "forbidden",
        `this needs ${allowed.join(" or ")} access; the token is a ${caller.kind} token`,
      );
    return success(caller.kind === "client" ? { clientId: caller.clientId } : {});
  }

  private roundStub(round: number) {
    return this.env.ROUNDS.getByName(roundObjectName(this.record!.id, round));
  }

  private saveRecord(record: StoredFederation): void {
    this.ctx.storage.sql.exec(
      "INSERT INTO federation (id, record) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET record = excluded.record",
      JSON.stringify(record),
    );
    this.record = record;
  }

  private storeRound(summary: RoundSummary): void {
    this.ctx.storage.sql.exec(
      "INSERT INTO rounds (round, summary) VALUES (?, ?) ON CONFLICT(round) DO UPDATE SET summary = excluded.summary",
      summary.round,
      JSON.stringify(summary),
    );
  }

  private rounds(round?: number): RoundSummary[] {
    const rows =
      round === undefined
        ? this.ctx.storage.sql.exec<{ summary: string }>("SELECT summary FROM rounds ORDER BY round")
        : this.ctx.storage.sql.exec<{ summary: string }>("SELECT summary FROM rounds WHERE round = ?", round);
    return rows.toArray().map((r) => JSON.parse(r.summary) as RoundSummary);
  }

  private versions(version?: number): ModelVersion[] {
    type Row = { version: number; sha256: string; bytes: number; created_at: string; round: number | null };
    const rows =
      version === undefined
        ? this.ctx.storage.sql.exec<Row>("SELECT * FROM versions ORDER BY version")
        : this.ctx.storage.sql.exec<Row>("SELECT * FROM versions WHERE version = ?", version);
    return rows.toArray().map((r) => ({
      version: r.version,
      sha256: r.sha256,
      bytes: r.bytes,
      createdAt: r.created_at,
      round: r.round,
    }));
  }

  private evaluations(version?: number): VersionEvaluation[] {
    type Row = { version: number; mean: number; reports: number; examples: number };
    const where = version === undefined ? "" : "WHERE version = ?";
    const bindings = version === undefined ? [] : [version];
    return this.ctx.storage.sql
      .exec<Row>(
        `SELECT version, SUM(auc * examples) / SUM(examples) AS mean, COUNT(*) AS reports, SUM(examples) AS examples
         FROM evaluations ${where} GROUP BY version ORDER BY version`,
        ...bindings,
      )
      .toArray()
      .map((r) => ({ version: r.version, meanAuc: r.mean, reports: r.reports, examples: r.examples }));
  }

  private readUsage(): Usage {
    const usage: Usage = {
      roundsRun: 0,
      roundsAborted: 0,
      updatesAggregated: 0,
      bytesIngested: 0,
      modelsServed: 0,
    };
    for (const row of this.ctx.storage.sql.exec<{ key: string; value: number }>(
      "SELECT key, value FROM usage",
    )) {
      if ((USAGE_KEYS as readonly string[]).includes(row.key)) usage[row.key as keyof Usage] = row.value;
    }
    return usage;
  }

  private addUsage(delta: Partial<Usage>): void {
    for (const [key, value] of Object.entries(delta)) {
      if (!value) continue;
      this.ctx.storage.sql.exec(
        "INSERT INTO usage (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = value + excluded.value",
        key,
        value,
      );
    }
  }

  private describeRecord(record: StoredFederation): FederationRecord {
    const clientCount =
      this.ctx.storage.sql
        .exec<{ n: number }>("SELECT COUNT(*) AS n FROM clients WHERE revoked_at IS NULL")
        .toArray()[0]?.n ?? 0;
    return {
      id: record.id,
      tenantId: record.tenantId,
      createdAt: record.createdAt,
      config: record.config,
      latestVersion: record.latestVersion,
      clientCount,
      currentRound: record.currentRound,
      usage: this.readUsage(),
    };
  }
}
