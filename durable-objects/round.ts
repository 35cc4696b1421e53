// One round of secure aggregation: stores the server state machine of core/secagg and the round's
// progress around it, the cohort and its token hashes, one alarm over a table of deadlines, the
// sealed shares as rows and the running masked total in chunks; core decides every transition.
// Every step is stored before it is acknowledged, so an evicted Round resumes where it stopped, and
// a client's message writes only what it brings (never the whole state), whatever the cohort size.
import { DurableObject } from "cloudflare:workers";
import {
  abortByOwner,
  applyUnmaskPlan,
  type ClientMessage,
  closeRoundStage,
  createServerRound,
  currentMessageFor,
  dropouts,
  expectedAnswers,
  FINISH,
  fromBase64Url,
  hasQuorum,
  isFinishing,
  maskedLength,
  openProgress,
  ownersShortOfShares,
  type ProtocolStage,
  participants,
  type RoundProgress,
  readyToClose,
  receiveMessage,
  reportStarted,
  type ServerMessage,
  type ServerState,
  STAGE,
  sharesRevealedBy,
  stageClosed,
  stragglerDeadline,
  totalReported,
  totalUnmasked,
} from "../core/secagg/index.ts";
import { toHex } from "../core/sha256.ts";
import { failure, isApiErrorCode, type Result, success } from "../core/wire/errors.ts";
import type { MessageReceipt, RoundStage, RoundSummary } from "../core/wire/rounds.ts";
import { Changes } from "./changes.ts";
import { MatchedSecrets } from "./credentials.ts";
import { hasSchema, migrate } from "./migrations.ts";
import { MAILBOX_MIGRATION, RoundMailbox } from "./round-mailbox.ts";
import type { RoundSetup, RoundUsage } from "./round-setup.ts";
import { RoundStateStore, STATE_MIGRATION, STATE_ROWS_MIGRATION } from "./round-state-store.ts";
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
import { type Sql, sqlOf } from "./sql.ts";

const MIGRATIONS = [
  `CREATE TABLE round (id INTEGER PRIMARY KEY CHECK (id = 1), record TEXT NOT NULL);
   CREATE TABLE cohort (client_id TEXT PRIMARY KEY, token_hash TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);
   CREATE TABLE receipts (client_id TEXT NOT NULL, stage TEXT NOT NULL, digest TEXT NOT NULL, receipt TEXT NOT NULL, PRIMARY KEY (client_id, stage));
   CREATE TABLE deadlines (name TEXT PRIMARY KEY, at INTEGER NOT NULL);
   ${STATE_MIGRATION}
   ${TOTAL_MIGRATION}`,
  // Repeats are recognised by the digests in the protocol state, so stored receipts are redundant.
  `DROP TABLE receipts;`,
  // The state by parts and the sealed shares as rows; the bytes ingested in a row of their own, so
  // a message no longer rewrites the round's record (whose setup lists the whole cohort).
  `${STATE_ROWS_MIGRATION}
   ${MAILBOX_MIGRATION}
   CREATE TABLE ingested (id INTEGER PRIMARY KEY CHECK (id = 1), bytes INTEGER NOT NULL);
   INSERT INTO ingested (id, bytes) SELECT 1, COALESCE(json_extract(record, '$.bytes'), 0) FROM round;`,
];

interface StoredRound extends RoundProgress {
  setup: RoundSetup;
  startedAt: string;
  /** The round ended and the Federation has not acknowledged its report yet (retried until it does). */
  reportPending?: boolean;
}

/** What a round that ended tells its Federation: how it ended, and what the ledger bills. */
export interface RoundReport {
  summary: RoundSummary;
  usage: RoundUsage;
}

/** Seconds from the federation's round policy for each protocol stage. */
const DEADLINE_OF = {
  advertise_keys: "advertiseKeys",
  share_keys: "shareKeys",
  masked_input: "maskedInput",
  consistency_check: "consistencyCheck",
  unmask: "unmask",
} as const;

/** The seconds a protocol stage stays open (undefined for the stages after it). */
function stageSeconds(setup: RoundSetup, stage: string): number | undefined {
  const key = DEADLINE_OF[stage as keyof typeof DEADLINE_OF];
  if (!key) return undefined;
  return setup.deadlines[key] ?? setup.deadlines.unmask;
}

/** A retry of the finishing steps (unmask, report) after a transient failure. */
const FINISH_RETRY = "finish";
const FINISH_RETRY_MS = 5_000;
/**
 * How long past its time a deadline may stay unmet before a client's request meets it instead of
 * the alarm. A 1000-client load run under wrangler dev stalled in masked_input: the quorum's grace
 * deadline was in the table and the alarm set for it, 465 s overdue, yet it never fired; and
 * Cloudflare documents that alarms can be late. The cohort polls each stage at least every long
 * poll (20 s), so a lost alarm costs that much, not the round.
 */
const OVERDUE_MS = 5_000;

/** What the message route answers: a stage message, or "waiting" when there is none yet. */
export type RoundMessageFor =
  | ServerMessage
  | { type: "waiting"; stage: RoundStage; roundId: string; clientId: string };

export interface ClientCredential {
  clientId: string;
  secret: string;
}

export class Round extends DurableObject<Env> {
  private record: StoredRound | undefined;
  private state: ServerState | undefined;
  private readonly serial = new Serial();
  /** Long polls of the message route, woken when a stage ends. */
  private readonly changes = new Changes();
  private readonly sql: Sql;
  private readonly states: RoundStateStore;
  /**
   * Derived from the state and dropped whenever it changes stage (or is read again): the
   * masked-input survivors, fixed once masked_input closed, that every poll of the last two stages
   * names; and in the unmask stage the owners still short of t revealed shares.
   */
  private survivors: { stage: string; ids: string[] } | undefined;
  private shortOwners: Set<string> | undefined;
  /** The stage whose grace period has begun (its deadline moved in), so it is set once. */
  private graced: string | undefined;
  /**
   * The cohort's token hashes and revocations, read once (a shard's cohort), and each member's
   * secret once it matched: a message costs no query and no hash to authenticate (docs/load.md).
   * Memory only; a revocation updates both.
   */
  private members: Map<string, { tokenHash: string; revoked: boolean }> | undefined;
  private readonly matched = new MatchedSecrets();
  /** The current stage's answers so far and those it expects (stragglers.ts). */
  private answers: { stage: string; answered: number; expected: number; firstAt?: number } | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = sqlOf(ctx.storage.sql);
    this.states = new RoundStateStore(this.sql);
    ctx.blockConcurrencyWhile(async () => {
      // Objects reached by an unknown id stay empty: tables appear only when the object is created.
      if (!hasSchema(ctx.storage.sql)) return;
      migrate(ctx.storage.sql, MIGRATIONS);
      const row = this.sql.first<{ record: string }>`SELECT record FROM round`;
      this.record = row ? (JSON.parse(row.record) as StoredRound) : undefined;
      this.state = this.states.read();
      // An object evicted halfway through finishing, or before the Federation took its report, picks
      // the work up again from its alarm.
      if (this.record && (isFinishing(this.record) || this.record.reportPending)) {
        this.scheduleFinishRetry(0);
        await this.syncAlarm();
      }
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
      const record: StoredRound = { setup, startedAt: new Date().toISOString(), ...openProgress() };
      this.transaction(() => {
        for (const { clientId, tokenHash } of setup.cohort)
          this.sql`INSERT INTO cohort (client_id, token_hash) VALUES (${clientId}, ${tokenHash})`;
        createTotal(this.sql, maskedLength(setup.secureAggregation));
        this.sql`INSERT INTO ingested (id, bytes) VALUES (1, 0)`;
        this.states.write(created.value);
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

  /**
   * The report of a round that ended, or null while it runs. The Federation asks for it when it
   * still counts the round as current, in case the round's own report went missing.
   */
  async finalReport(): Promise<Result<RoundReport | null>> {
    if (!this.record) return failure("not_found", "no such round");
    if (this.record.finish !== FINISH.FINISHED) return success(null);
    return success({ summary: this.summary(), usage: this.usage() });
  }

  /**
   * The owner stops the round: it aborts now with that reason and reports it like any abort. A
   * round that already ended answers how it ended; one whose protocol is done is publishing its
   * total and cannot be stopped.
   */
  async abort(): Promise<Result<RoundSummary>> {
    return this.serial.run(async () => {
      if (!this.record) return failure("not_found", "no such round");
      if (this.record.finish === FINISH.FINISHED) return success(this.summary());
      const draft = structuredClone(this.state!);
      if (!abortByOwner(this.record, draft))
        return failure(
          "conflict",
          `round ${this.record.setup.round} has finished its protocol and is publishing its total`,
        );
      await this.stageEnded(draft);
      await this.syncAlarm();
      return success(this.summary());
    });
  }

  /**
   * The message the current stage has for this client, or "waiting" when it has none yet. With
   * `waitMs`, held until the client has something new to answer, at most that long.
   */
  async message(credential: ClientCredential, waitMs = 0): Promise<Result<RoundMessageFor>> {
    const allowed = await this.authenticate(credential);
    if (!allowed.ok) return allowed;
    await this.meetOverdueDeadline();
    return success(await this.nextMessage(credential.clientId, waitMs));
  }

  /**
   * The client's message now, held (with `waitMs`) while it has nothing new to answer: the
   * current stage's message it already answered, or none yet. An ended round answers at once.
   */
  private async nextMessage(clientId: string, waitMs: number): Promise<RoundMessageFor> {
    // A wake while the client has already answered the stage builds nothing (no mailbox read).
    const news = await this.changes.until(
      () => {
        const state = this.state!;
        if (state.stage === STAGE.DONE || state.stage === STAGE.ABORTED) return this.messageNow(clientId);
        if (state.clients[clientId]?.received[state.stage as ProtocolStage] !== undefined) return null;
        const message = this.messageNow(clientId);
        return message.type === "waiting" ? null : message;
      },
      (message) => message !== null,
      waitMs,
    );
    return news ?? this.messageNow(clientId);
  }

  /** The current stage's message for the client, or "waiting". */
  private messageNow(clientId: string): RoundMessageFor {
    const state = this.state!;
    return (
      currentMessageFor(state, clientId, new RoundMailbox(this.sql), this.survivorsOf(state)) ?? {
        type: "waiting",
        stage: state.stage,
        roundId: state.config.roundId,
        clientId,
      }
    );
  }

  /**
   * Receives one client message of the protocol. Accepting it, adding a masked vector into the
   * total and storing what it changed (its digest, its sealed or revealed shares) happen in one
   * transaction; a repeat changes nothing and gets the same receipt, whose digest is the one core
   * took of the message.
   */
  async submit(
    credential: ClientCredential,
    message: ClientMessage,
    waitMs = 0,
  ): Promise<Result<MessageReceipt & { next?: RoundMessageFor }>> {
    await this.meetOverdueDeadline();
    const received = await this.receive(credential, message);
    // With waitMs, the receipt also brings the client's next message once a stage ends (outside
    // the serial section, so the wait holds up nothing): one request a stage instead of two.
    if (!received.ok || waitMs <= 0) return received;
    return success({ ...received.value, next: await this.nextMessage(credential.clientId, waitMs) });
  }

  private async receive(
    credential: ClientCredential,
    message: ClientMessage,
  ): Promise<Result<MessageReceipt>> {
    const allowed = await this.authenticate(credential);
    if (!allowed.ok) return allowed;
    if (message.clientId !== credential.clientId)
      return failure("forbidden", "a client may only send its own messages");
    const size = message.type === "masked_input" ? message.vector.byteLength : JSON.stringify(message).length;
    return this.serial.run(async () => {
      // A revocation that arrived while this message waited its turn still refuses it.
      if (this.revoked(credential.clientId))
        return failure("unauthorized", "invalid or revoked client token");
      // No copy of the state: a receive transition changes nothing when it refuses, and on success
      // only the sender's record and the shares it revealed, which writeSender stores.
      const state = this.state!;
      const mailbox = new RoundMailbox(this.sql);
      const transition = await receiveMessage(state, message, mailbox, this.survivorsOf(state));
      if (!transition.ok)
        return failure(
          isApiErrorCode(transition.code) ? transition.code : "invalid_message",
          transition.message,
        );
      const receipt: MessageReceipt = {
        stage: message.stage,
        clientId: message.clientId,
        digest: toHex(fromBase64Url(transition.digest)),
      };
      if (transition.duplicate) return success(receipt);
      this.transaction(() => {
        this.states.writeSender(state, message.clientId);
        mailbox.commit();
        if (message.type === "masked_input") addToTotal(this.sql, message.vector);
        this.sql`UPDATE ingested SET bytes = bytes + ${size}`;
      });
      if (readyToClose(state) || this.unmaskComplete(state, message.clientId)) {
        await this.closeCurrentStage();
        // The next stage's deadline may come before the alarm set for the stage that just closed.
        await this.syncAlarm();
      } else if (this.graceStarts(state)) await this.syncAlarm();
      return success(receipt);
    });
  }

  /**
   * Whether the unmask stage, which `holder` has just answered, holds t revealed shares of every
   * secret it must rebuild: then it closes now rather than wait for the slowest neighbour.
   */
  private unmaskComplete(state: ServerState, holder: string): boolean {
    if (state.stage !== STAGE.UNMASK) return false;
    if (!this.shortOwners) this.shortOwners = ownersShortOfShares(state);
    else sharesRevealedBy(state, holder, this.shortOwners);
    return this.shortOwners.size === 0;
  }

  /**
   * Whether this answer brought the stage to its quorum (stragglers.ts): then its deadline moves
   * in to the end of the grace period. Once a stage: later answers change nothing.
   */
  private graceStarts(state: ServerState): boolean {
    const stage = state.stage;
    if (this.graced === stage || !hasQuorum(stage)) return false;
    const { setup } = this.record!;
    const now = Date.now();
    // Counted once a stage (after an eviction, once more), then one more per accepted answer. The
    // first answer's time sets the stage's pace; after an eviction it is unknown (stragglers.ts).
    if (this.answers?.stage !== stage) {
      const answered = participants(state, stage as ProtocolStage).length;
      this.answers = {
        stage,
        answered,
        expected: expectedAnswers(state, setup.cohort.length),
        ...(answered === 1 ? { firstAt: now } : {}),
      };
    } else this.answers.answered++;
    const row = this.sql.first<{ at: number }>`SELECT at FROM deadlines WHERE name = ${stage}`;
    const seconds = stageSeconds(setup, stage);
    if (!row || seconds === undefined) return false;
    const at = stragglerDeadline({
      answered: this.answers.answered,
      expected: this.answers.expected,
      openedAt: row.at - seconds * 1000,
      ...(this.answers.firstAt === undefined ? {} : { firstAnswerAt: this.answers.firstAt }),
      now,
      deadline: row.at,
      ...(setup.stageQuorum === undefined ? {} : { quorum: setup.stageQuorum }),
    });
    if (at >= row.at) return false;
    this.graced = stage;
    this.setDeadline(stage, at);
    return true;
  }

  /** The masked-input survivors once masked_input closed (undefined before: core counts them). */
  private survivorsOf(state: ServerState): string[] | undefined {
    if (state.stage !== STAGE.CONSISTENCY_CHECK && state.stage !== STAGE.UNMASK) return undefined;
    if (this.survivors?.stage !== state.stage)
      this.survivors = { stage: state.stage, ids: participants(state, STAGE.MASKED_INPUT) };
    return this.survivors.ids;
  }

  /** A revoked client can no longer send anything; the round goes on without it. */
  async revoke(clientId: string): Promise<Result<null>> {
    if (!this.record) return failure("not_found", "no such round");
    this.sql`UPDATE cohort SET revoked = 1 WHERE client_id = ${clientId}`;
    const member = this.member(clientId);
    if (member) member.revoked = true;
    this.matched.forget(clientId);
    return success(null);
  }

  /** The single alarm: closes the current stage at its deadline, or retries finishing. */
  override async alarm(): Promise<void> {
    await this.serial.run(async () => {
      if (!this.record) return;
      const due = this.sql<{ name: string }>`SELECT name FROM deadlines WHERE at <= ${Date.now()}`.map(
        (r) => r.name,
      );
      for (const name of due) this.sql`DELETE FROM deadlines WHERE name = ${name}`;
      if (due.includes(this.state!.stage) && this.record.finish === FINISH.PROTOCOL)
        await this.closeCurrentStage();
      else if (due.includes(FINISH_RETRY)) {
        if (isFinishing(this.record)) await this.finish();
        else if (this.record.reportPending) await this.report();
      }
      await this.syncAlarm();
    });
  }

  /** Does what the alarm should have done already, when a deadline is OVERDUE_MS past its time. */
  private async meetOverdueDeadline(): Promise<void> {
    if (!this.record) return;
    const next = this.sql.first<{ at: number | null }>`SELECT MIN(at) AS at FROM deadlines`?.at ?? null;
    if (next !== null && Date.now() - next > OVERDUE_MS) await this.alarm();
  }

  /** Closes the stage (at its deadline or when everyone answered) and moves on. Runs inside serial. */
  private async closeCurrentStage(): Promise<void> {
    const record = this.record!;
    const draft = structuredClone(this.state!);
    const mailbox = new RoundMailbox(this.sql);
    const closed = await closeRoundStage(
      draft,
      {
        minParticipants: record.setup.minParticipants,
        cohortSize: record.setup.cohort.length,
        minSurvivors: record.setup.minSurvivors,
      },
      mailbox,
    );
    if (!closed.ok) return;
    await this.stageEnded(draft, mailbox);
  }

  /**
   * Stores a stage's end (closed, or aborted by the owner) and moves on: to the next stage, to
   * finishing, or, for an abort, to the report that the Federation must acknowledge. Runs inside serial.
   */
  private async stageEnded(draft: ServerState, mailbox = new RoundMailbox(this.sql)): Promise<void> {
    const closed = stageClosed(this.record!, draft, new Date().toISOString());
    const aborted = draft.stage === STAGE.ABORTED;
    const next = aborted ? { ...closed, reportPending: true } : closed;
    // An aborted round's sealed shares serve no one: they go with it.
    if (aborted) mailbox.clear();
    this.transaction(() => {
      this.states.write(draft);
      mailbox.commit();
      this.sql`DELETE FROM deadlines`;
      this.setStageDeadline(draft.stage, next);
      if (draft.stage === STAGE.ABORTED) dropTotal(this.sql);
      this.saveRecord(next);
    });
    this.state = draft;
    this.survivors = undefined;
    this.shortOwners = undefined;
    this.changes.notify();
    if (draft.stage === STAGE.DONE) await this.finish();
    else await this.report();
  }

  /** Unmasks the total chunk by chunk (each chunk in its own transaction), then reports it. Runs inside serial. */
  private async finish(): Promise<void> {
    const plan = this.state!.plan!;
    try {
      if (this.record!.finish === FINISH.UNMASKING) {
        for (const index of maskedChunks(this.sql)) {
          const { data } = readChunk(this.sql, index);
          await applyUnmaskPlan(plan, data, index * CHUNK_ELEMENTS);
          writeChunk(this.sql, index, data, true);
        }
        this.saveRecord(totalUnmasked(this.record!));
      }
      if (this.record!.finish === FINISH.REPORTING) {
        const config = this.state!.config;
        const total = decodeTotal(this.sql, maskedLength(config), config.scale);
        const federation = this.env.FEDERATIONS.getByName(this.record!.setup.federationId);
        // Held in memory only until the federation answers: a retry keeps this end time.
        this.record = reportStarted(this.record!, new Date().toISOString());
        const completed = await federation.completeRound(
          this.summary(),
          total,
          this.usage(),
          this.record!.setup.shard,
        );
        // Published: the Federation recorded it as it answered. Refused for good (e.g. a newer
        // model exists, or an implausible total): the round aborted, which the Federation must still hear.
        this.saveRecord({ ...totalReported(this.record, completed), reportPending: !completed.ok });
        if (!completed.ok) await this.report();
      }
    } catch {
      // Transient (storage or RPC): the alarm tries again; finishing is idempotent.
      this.scheduleFinishRetry(FINISH_RETRY_MS);
      await this.syncAlarm();
    }
  }

  /**
   * Tells the Federation about the round. Progress is best effort (its next read of the round
   * catches up); the report of a round that ended is retried from the alarm until the Federation
   * answers, since until then the Federation counts the round as current. Runs inside serial.
   */
  private async report(): Promise<void> {
    try {
      // An answer, even a refusal (no such federation or round), is final: only a throw is retried.
      await this.env.FEDERATIONS.getByName(this.record!.setup.federationId).recordRound(
        this.summary(),
        this.usage(),
        this.record!.setup.shard,
      );
      if (this.record!.reportPending) this.saveRecord({ ...this.record!, reportPending: false });
    } catch {
      if (this.record!.reportPending) {
        this.scheduleFinishRetry(FINISH_RETRY_MS);
        await this.syncAlarm();
      }
    }
  }

  private usage(): RoundUsage {
    const bytes = this.sql.first<{ bytes: number }>`SELECT bytes FROM ingested`?.bytes ?? 0;
    return { updates: participants(this.state!, STAGE.MASKED_INPUT).length, bytes };
  }

  /** One transaction; should storage refuse it, the state store learns again what storage holds. */
  private transaction(write: () => void): void {
    try {
      this.ctx.storage.transactionSync(write);
    } catch (error) {
      // The state in memory may hold what storage refused (a receive transition changes it in place).
      this.state = this.states.read();
      this.survivors = undefined;
      this.shortOwners = undefined;
      throw error;
    }
  }

  private revoked(clientId: string): boolean {
    return this.member(clientId)?.revoked === true;
  }

  private member(clientId: string): { tokenHash: string; revoked: boolean } | undefined {
    if (!this.members) {
      this.members = new Map();
      for (const row of this.sql<{ clientId: string; tokenHash: string; revoked: number }>`
        SELECT client_id, token_hash, revoked FROM cohort`)
        this.members.set(row.clientId, { tokenHash: row.tokenHash, revoked: row.revoked === 1 });
    }
    return this.members.get(clientId);
  }

  private async authenticate(credential: ClientCredential): Promise<Result<null>> {
    if (!this.record) return failure("not_found", "no such round");
    const { clientId, secret } = credential;
    const matches = await this.matched.verify(clientId, secret, () => {
      const member = this.member(clientId);
      return member && { tokenHash: member.tokenHash, active: !member.revoked };
    });
    if (!this.member(clientId)) return failure("forbidden", "this client is not in the round's cohort");
    if (!matches) return failure("unauthorized", "invalid or revoked client token");
    return success(null);
  }

  private setStageDeadline(stage: string, record: StoredRound): void {
    const seconds = stageSeconds(record.setup, stage);
    if (seconds !== undefined) this.setDeadline(stage, Date.now() + seconds * 1000);
  }

  private scheduleFinishRetry(delayMs: number): void {
    this.setDeadline(FINISH_RETRY, Date.now() + delayMs);
  }

  private setDeadline(name: string, at: number): void {
    this.sql`INSERT INTO deadlines (name, at) VALUES (${name}, ${at})
      ON CONFLICT(name) DO UPDATE SET at = excluded.at`;
  }

  /** Points the one alarm at the earliest deadline in the table (or clears it). */
  private async syncAlarm(): Promise<void> {
    const next = this.sql.first<{ at: number | null }>`SELECT MIN(at) AS at FROM deadlines`?.at ?? null;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }

  private saveRecord(record: StoredRound): void {
    this.sql`INSERT INTO round (id, record) VALUES (1, ${JSON.stringify(record)})
      ON CONFLICT(id) DO UPDATE SET record = excluded.record`;
    this.record = record;
  }

  private summary(): RoundSummary {
    const record = this.record!;
    const state = this.state!;
    const count = (stage: ProtocolStage) => participants(state, stage).length;
    const deadline = this.sql.first<{ at: number }>`SELECT at FROM deadlines WHERE name = ${state.stage}`?.at;
    return {
      federationId: record.setup.federationId,
      round: record.setup.round,
      secureAggregation: record.setup.secureAggregation,
      modelVersion: record.setup.modelVersion,
      ...(record.setup.privacy ? { privacy: record.setup.privacy } : {}),
      stage: state.stage,
      startedAt: record.startedAt,
      endedAt: record.endedAt,
      stageDeadline: deadline === undefined ? null : new Date(deadline).toISOString(),
      cohort: record.setup.cohort.map((m) => m.clientId),
      participants: {
        advertiseKeys: count(STAGE.ADVERTISE_KEYS),
        shareKeys: count(STAGE.SHARE_KEYS),
        maskedInput: count(STAGE.MASKED_INPUT),
        consistencyCheck: count(STAGE.CONSISTENCY_CHECK),
        unmask: count(STAGE.UNMASK),
      },
      dropouts: dropouts(state, record.setup.cohort.length),
      outcome: record.outcome,
    };
  }
}
