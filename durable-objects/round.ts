// One round of secure aggregation: runs the server state machine of core/secagg, keeps the cohort
// and its token hashes, one alarm over a table of deadlines, the running masked total in chunks,
// and a receipt per (client, stage) so a repeated message gets the same answer and changes nothing.
// Every step is stored before it is acknowledged, so an evicted Round resumes where it stopped.
import { DurableObject } from "cloudflare:workers";
import {
  applyUnmaskPlan,
  type ClientMessage,
  closeStage,
  createServerRound,
  currentMessageFor,
  maskedLength,
  type ProtocolStage,
  participants,
  readyToClose,
  receiveAdvertiseKeys,
  receiveMaskedInput,
  receiveShareKeys,
  receiveUnmaskResponse,
  type ServerMessage,
  type ServerState,
  type ServerTransition,
  STAGE,
} from "../core/secagg/index.ts";
import { failure, isApiErrorCode, type Result, success } from "../core/wire/errors.ts";
import type { MessageReceipt, RoundStage, RoundSummary } from "../core/wire/rounds.ts";
import { secretMatches, sha256Hex } from "./credentials.ts";
import { hasSchema, migrate } from "./migrations.ts";
import type { RoundSetup } from "./round-setup.ts";
import { readState, STATE_MIGRATION, writeState } from "./round-state-store.ts";
import {
  addToTotal,
  CHUNK_ELEMENTS,
  createTotal,
  decodeTotal,
  dropTotal,
  maskedChunks,
  readChunk,
  TOTAL_MIGRATION,
  writeChunk,
} from "./round-total.ts";
import { Serial } from "./serial.ts";

const MIGRATIONS = [
  `CREATE TABLE round (id INTEGER PRIMARY KEY CHECK (id = 1), record TEXT NOT NULL);
   CREATE TABLE cohort (client_id TEXT PRIMARY KEY, token_hash TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
   CREATE TABLE receipts (client_id TEXT NOT NULL, stage TEXT NOT NULL, digest TEXT NOT NULL, receipt TEXT NOT NULL, PRIMARY KEY (client_id, stage));
   CREATE TABLE deadlines (name TEXT PRIMARY KEY, at INTEGER NOT NULL);
   ${STATE_MIGRATION}
   ${TOTAL_MIGRATION}`,
];

/** After the protocol is done: unmask the total chunk by chunk, then report it to the Federation. */
type Finish = "protocol" | "unmasking" | "reporting" | "finished";

interface StoredRound {
  setup: RoundSetup;
  startedAt: string;
  endedAt: string | null;
  finish: Finish;
  outcome: RoundSummary["outcome"];
  /** Bytes of accepted client messages (the usage ledger bills them). */
  bytes: number;
}

/** Seconds from the federation's round policy for each protocol stage. */
const DEADLINE_OF = {
  advertise_keys: "advertiseKeys",
  share_keys: "shareKeys",
  masked_input: "maskedInput",
  unmask: "unmask",
} as const;

/** A retry of the finishing steps (unmask, report) after a transient failure. */
const FINISH_RETRY = "finish";
const FINISH_RETRY_MS = 5_000;

export interface ClientCredential {
  clientId: string;
  secret: string;
}

export class Round extends DurableObject<Env> {
  private record: StoredRound | undefined;
  private state: ServerState | undefined;
  private readonly serial = new Serial();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      // Objects reached by an unknown id stay empty: tables appear only when the object is created.
      if (!hasSchema(ctx.storage.sql)) return;
      migrate(ctx.storage.sql, MIGRATIONS);
      const row = ctx.storage.sql.exec<{ record: string }>("SELECT record FROM round").toArray()[0];
      this.record = row ? (JSON.parse(row.record) as StoredRound) : undefined;
      this.state = readState(ctx.storage.sql);
      // An object evicted halfway through finishing picks the work up again from its alarm.
      if (this.record && (this.record.finish === "unmasking" || this.record.finish === "reporting"))
        this.scheduleFinishRetry(0);
    });
  }

  /** Opens the round (once; repeating the same setup returns the same summary). */
  async open(setup: RoundSetup): Promise<Result<RoundSummary>> {
    return this.serial.run(async () => {
      if (this.record) {
        if (this.record.setup.secureAggregation.roundId !== setup.secureAggregation.roundId)
          return failure("conflict", "this round object already runs another round");
        return success(this.summary());
      }
      const created = createServerRound(setup.secureAggregation);
      if (!created.ok) return failure("invalid_config", created.message);
      migrate(this.ctx.storage.sql, MIGRATIONS);
      const record: StoredRound = {
        setup,
        startedAt: new Date().toISOString(),
        endedAt: null,
        finish: "protocol",
        outcome: null,
        bytes: 0,
      };
      const sql = this.ctx.storage.sql;
      this.ctx.storage.transactionSync(() => {
        for (const member of setup.cohort)
          sql.exec(
            "INSERT INTO cohort (client_id, token_hash) VALUES (?, ?)",
            member.clientId,
            member.tokenHash,
          );
        createTotal(sql, maskedLength(setup.secureAggregation));
        writeState(sql, created.value);
        this.saveRecord(record);
        this.setStageDeadline(STAGE.ADVERTISE_KEYS, record);
      });
      this.state = created.value;
      await this.syncAlarm();
      return success(this.summary());
    });
  }

  async describe(): Promise<Result<RoundSummary>> {
    if (!this.record) return failure("not_found", "no such round");
    return success(this.summary());
  }

  /** The message the current stage has for this client, or "waiting" when it has none yet. */
  async message(
    credential: ClientCredential,
  ): Promise<
    Result<ServerMessage | { type: "waiting"; stage: RoundStage; roundId: string; clientId: string }>
  > {
    const allowed = await this.authenticate(credential);
    if (!allowed.ok) return allowed;
    const state = this.state!;
    return success(
      currentMessageFor(state, credential.clientId) ?? {
        type: "waiting",
        stage: state.stage,
        roundId: state.config.roundId,
        clientId: credential.clientId,
      },
    );
  }

  /**
   * Receives one client message of the protocol. Accepting it, adding a masked vector into the
   * total and writing its receipt happen in one transaction; a repeat gets the stored receipt.
   */
  async submit(credential: ClientCredential, message: ClientMessage): Promise<Result<MessageReceipt>> {
    const allowed = await this.authenticate(credential);
    if (!allowed.ok) return allowed;
    if (message.clientId !== credential.clientId)
      return failure("forbidden", "a client may only send its own messages");
    const size = message.type === "masked_input" ? message.vector.byteLength : JSON.stringify(message).length;
    const digest =
      message.type === "masked_input"
        ? await sha256Hex(
            new Uint8Array(message.vector.buffer, message.vector.byteOffset, message.vector.byteLength),
          )
        : await sha256Hex(JSON.stringify(message));
    return this.serial.run(async () => {
      const sql = this.ctx.storage.sql;
      const earlier = sql
        .exec<{ digest: string; receipt: string }>(
          "SELECT digest, receipt FROM receipts WHERE client_id = ? AND stage = ?",
          message.clientId,
          message.stage,
        )
        .toArray()[0];
      if (earlier) {
        if (earlier.digest === digest) return success(JSON.parse(earlier.receipt) as MessageReceipt);
        return failure(
          "conflicting_resubmission",
          `client already sent a different ${message.stage} message`,
        );
      }
      const draft = structuredClone(this.state!);
      const transition = await receive(draft, message);
      if (!transition.ok)
        return failure(
          isApiErrorCode(transition.code) ? transition.code : "invalid_message",
          transition.message,
        );
      const receipt: MessageReceipt = { stage: message.stage, clientId: message.clientId, digest };
      const record = { ...this.record!, bytes: this.record!.bytes + size };
      this.ctx.storage.transactionSync(() => {
        writeState(sql, draft);
        if (message.type === "masked_input" && !transition.duplicate) addToTotal(sql, message.vector);
        sql.exec(
          "INSERT INTO receipts (client_id, stage, digest, receipt) VALUES (?, ?, ?, ?)",
          message.clientId,
          message.stage,
          digest,
          JSON.stringify(receipt),
        );
        this.saveRecord(record);
      });
      this.state = draft;
      if (readyToClose(draft)) {
        await this.closeCurrentStage();
        // The next stage's deadline may come before the alarm set for the stage that just closed.
        await this.syncAlarm();
      }
      return success(receipt);
    });
  }

  /** A revoked client can no longer send anything; the round goes on without it. */
  async revoke(clientId: string): Promise<Result<null>> {
    if (!this.record) return failure("not_found", "no such round");
    this.ctx.storage.sql.exec("UPDATE cohort SET revoked = 1 WHERE client_id = ?", clientId);
    return success(null);
  }

  /** The single alarm: closes the current stage at its deadline, or retries finishing. */
  override async alarm(): Promise<void> {
    await this.serial.run(async () => {
      if (!this.record) return;
      const now = Date.now();
      const due = this.ctx.storage.sql
        .exec<{ name: string }>("SELECT name FROM deadlines WHERE at <= ?", now)
        .toArray()
        .map((r) => r.name);
      for (const name of due) this.ctx.storage.sql.exec("DELETE FROM deadlines WHERE name = ?", name);
      if (due.includes(this.state!.stage) && this.record.finish === "protocol")
        await this.closeCurrentStage();
      else if (due.includes(FINISH_RETRY)) await this.finish();
      await this.syncAlarm();
    });
  }

  /** Closes the stage (at its deadline or when everyone answered) and moves on. Runs inside serial. */
  private async closeCurrentStage(): Promise<void> {
    const draft = structuredClone(this.state!);
    const closed = await closeStage(draft);
    if (!closed.ok) return;
    const record = this.record!;
    const minimum = Math.min(record.setup.minParticipants, record.setup.cohort.length);
    if (draft.stage === STAGE.UNMASK && participants(draft, STAGE.MASKED_INPUT).length < minimum) {
      const survivors = participants(draft, STAGE.MASKED_INPUT).length;
      draft.stage = STAGE.ABORTED;
      draft.abort = {
        code: "too_few_survivors",
        message: `only ${survivors} masked inputs arrived; the federation needs ${minimum}`,
      };
      draft.mailbox = {};
      draft.revealed = {};
    }
    const sql = this.ctx.storage.sql;
    const terminal = draft.stage === STAGE.DONE || draft.stage === STAGE.ABORTED;
    const next: StoredRound = terminal
      ? {
          ...record,
          finish: draft.stage === STAGE.DONE ? "unmasking" : "finished",
          endedAt: draft.stage === STAGE.ABORTED ? new Date().toISOString() : null,
          outcome:
            draft.stage === STAGE.ABORTED
              ? { kind: "aborted", code: draft.abort?.code ?? "aborted", message: draft.abort?.message ?? "" }
              : null,
        }
      : record;
    this.ctx.storage.transactionSync(() => {
      writeState(sql, draft);
      sql.exec("DELETE FROM deadlines");
      if (!terminal) this.setStageDeadline(draft.stage, next);
      if (draft.stage === STAGE.ABORTED) dropTotal(sql);
      this.saveRecord(next);
    });
    this.state = draft;
    if (draft.stage === STAGE.DONE) await this.finish();
    else await this.report();
  }

  /** Unmasks the total chunk by chunk (each chunk in its own transaction), then reports it. Runs inside serial. */
  private async finish(): Promise<void> {
    const sql = this.ctx.storage.sql;
    const plan = this.state!.plan!;
    try {
      if (this.record!.finish === "unmasking") {
        for (const index of maskedChunks(sql)) {
          const { data } = readChunk(sql, index);
          await applyUnmaskPlan(plan, data, index * CHUNK_ELEMENTS);
          writeChunk(sql, index, data, true);
        }
        this.saveRecord({ ...this.record!, finish: "reporting" });
      }
      if (this.record!.finish === "reporting") {
        const config = this.state!.config;
        const { sum } = decodeTotal(sql, maskedLength(config), config.scale);
        const federation = this.env.FEDERATIONS.getByName(this.record!.setup.federationId);
        const ended = { ...this.record!, endedAt: this.record!.endedAt ?? new Date().toISOString() };
        this.record = ended;
        const summary = this.summary();
        const completed = await federation.completeRound(summary, sum, this.usage());
        if (completed.ok) {
          this.saveRecord({
            ...ended,
            finish: "finished",
            outcome: { kind: "published", version: completed.value.version },
          });
        } else {
          // The federation refused the total for good (e.g. a newer model exists): abort cleanly.
          this.saveRecord({
            ...ended,
            finish: "finished",
            outcome: { kind: "aborted", code: completed.code, message: completed.message },
          });
          await this.report();
        }
      }
    } catch {
      // Transient (storage or RPC): the alarm tries again; finishing is idempotent.
      this.scheduleFinishRetry(FINISH_RETRY_MS);
      await this.syncAlarm();
    }
  }

  /** Tells the Federation about the round (best effort: its next read of the round catches up). */
  private async report(): Promise<void> {
    try {
      await this.env.FEDERATIONS.getByName(this.record!.setup.federationId).recordRound(
        this.summary(),
        this.usage(),
      );
    } catch {
      if (this.record!.outcome) {
        this.scheduleFinishRetry(FINISH_RETRY_MS);
        await this.syncAlarm();
      }
    }
  }

  private usage(): { updates: number; bytes: number } {
    return { updates: participants(this.state!, STAGE.MASKED_INPUT).length, bytes: this.record!.bytes };
  }

  private async authenticate(credential: ClientCredential): Promise<Result<null>> {
    if (!this.record) return failure("not_found", "no such round");
    const row = this.ctx.storage.sql
      .exec<{ token_hash: string; revoked: number }>(
        "SELECT token_hash, revoked FROM cohort WHERE client_id = ?",
        credential.clientId,
      )
      .toArray()[0];
    const matches = await secretMatches(credential.secret, row?.token_hash ?? "0".repeat(64));
    if (!row) return failure("forbidden", "this client is not in the round's cohort");
    if (row.revoked === 1 || !matches) return failure("unauthorized", "invalid or revoked client token");
    return success(null);
  }

  private setStageDeadline(stage: string, record: StoredRound): void {
    const key = DEADLINE_OF[stage as keyof typeof DEADLINE_OF];
    if (!key) return;
    const at = Date.now() + record.setup.deadlines[key] * 1000;
    this.ctx.storage.sql.exec(
      "INSERT INTO deadlines (name, at) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET at = excluded.at",
      stage,
      at,
    );
  }

  private scheduleFinishRetry(delayMs: number): void {
    this.ctx.storage.sql.exec(
      "INSERT INTO deadlines (name, at) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET at = excluded.at",
      FINISH_RETRY,
      Date.now() + delayMs,
    );
  }

  /** Points the one alarm at the earliest deadline in the table (or clears it). */
  private async syncAlarm(): Promise<void> {
    const next = this.ctx.storage.sql
      .exec<{ at: number | null }>("SELECT MIN(at) AS at FROM deadlines")
      .one().at;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }

  private saveRecord(record: StoredRound): void {
    this.ctx.storage.sql.exec(
      "INSERT INTO round (id, record) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET record = excluded.record",
      JSON.stringify(record),
    );
    this.record = record;
  }

  private summary(): RoundSummary {
    const record = this.record!;
    const state = this.state!;
    const count = (stage: ProtocolStage) => participants(state, stage).length;
    const advertised = count(STAGE.ADVERTISE_KEYS);
    const shared = count(STAGE.SHARE_KEYS);
    const masked = count(STAGE.MASKED_INPUT);
    const cohort = record.setup.cohort.length;
    // Dropouts: cohort members missing from the last closed stage (for a finished round: whose input is not in the sum).
    const dropouts =
      state.stage === STAGE.SHARE_KEYS
        ? cohort - advertised
        : state.stage === STAGE.MASKED_INPUT
          ? cohort - shared
          : state.stage === STAGE.UNMASK || state.stage === STAGE.DONE
            ? cohort - masked
            : state.stage === STAGE.ABORTED
              ? cohort - (masked || shared || advertised)
              : 0;
    const deadline = this.ctx.storage.sql
      .exec<{ at: number }>("SELECT at FROM deadlines WHERE name = ?", state.stage)
      .toArray()[0]?.at;
    return {
      federationId: record.setup.federationId,
      round: record.setup.round,
      secureAggregation: record.setup.secureAggregation,
      modelVersion: record.setup.modelVersion,
      stage: state.stage,
      startedAt: record.startedAt,
      endedAt: record.endedAt,
      stageDeadline: deadline === undefined ? null : new Date(deadline).toISOString(),
      cohort: record.setup.cohort.map((m) => m.clientId),
      participants: {
        advertiseKeys: advertised,
        shareKeys: shared,
        maskedInput: masked,
        unmask: count(STAGE.UNMASK),
      },
      dropouts: Math.max(0, dropouts),
      outcome: record.outcome,
    };
  }
}

function receive(state: ServerState, message: ClientMessage): Promise<ServerTransition> {
  switch (message.type) {
    case "advertise_keys":
      return receiveAdvertiseKeys(state, message);
    case "share_keys":
      return receiveShareKeys(state, message);
    case "masked_input":
      return receiveMaskedInput(state, message);
    case "unmask_response":
      return receiveUnmaskResponse(state, message);
  }
}
