// A federation's durable object: configuration, enrolled clients, rounds, model versions, usage.
// It opens rounds (sampling the cohort and reserving the tenant's quota), and when a Round reports
// its total it finalises the next model, publishes it to KV under a new immutable key, and only
// then moves the latest-version pointer kept here. Storage, access checks, round opening and
// publishing live in the federation-*.ts files beside it; this object routes calls between them.
import { DurableObject } from "cloudflare:workers";
import { encodeModelFile } from "../core/model-file.ts";
import { modelSigner } from "../core/model-signature.ts";
import { OWNER_ABORT_MESSAGE, SECAGG_ERROR } from "../core/secagg/index.ts";
import { sha256Hex } from "../core/sha256.ts";
import type { ClientEnrolment, EnrolClient, EnrolledClient } from "../core/wire/clients.ts";
import type { FederationOverview } from "../core/wire/dashboard.ts";
import { failure, type Result, success } from "../core/wire/errors.ts";
import {
  type ClientFederation,
  type FederationConfig,
  type Federation as FederationRecord,
  federationBelowFloors,
  type Growth,
  type Usage,
} from "../core/wire/federation.ts";
import { randomId, roundObjectName } from "../core/wire/ids.ts";
import {
  type EvaluationReport,
  etagMatches,
  etagOf,
  type ModelPointer,
  type ModelVersion,
  modelKey,
  modelPath,
  type VersionEvaluation,
} from "../core/wire/models.ts";
import type { ClientRound, RoundSummary } from "../core/wire/rounds.ts";
import { CHECK_IN_SECONDS, type CheckIn, type CheckInReceipt } from "../core/wire/schedule.ts";
import { formatClientToken } from "../core/wire/tokens.ts";
import type { Caller } from "./caller.ts";
import { MatchedSecrets, randomSecret } from "./credentials.ts";
import { type Access, authorise, type Role } from "./federation-access.ts";
import { closeAbortedRound, reconcileCurrentRound, settleReservation } from "./federation-ending.ts";
import { checkNeighbourDegree, openRound } from "./federation-opening.ts";
import { lastAffordableAfter, stampedModel, withPrivacySpent } from "./federation-privacy.ts";
import {
  classifyVersions,
  finalisedModel,
  loadGlobal,
  putVersion,
  signUnsignedVersions,
} from "./federation-publishing.ts";
import { stepSchedule } from "./federation-schedule.ts";
import { ShardedRoundEnding } from "./federation-shard-ending.ts";
import {
  FederationStore,
  type ListPage,
  type PublishedVersion,
  type StoredFederation,
} from "./federation-store.ts";
import { federationFor, roundFor, versionScope } from "./federation-views.ts";
import { grownModel } from "./growth.ts";
import { platformFloors } from "./platform-floors.ts";
import type { RoundUsage } from "./round-setup.ts";
import type { RoundTotal } from "./round-total.ts";
import { initialModel } from "./router-kind.ts";
import { Serial } from "./serial.ts";

export class Federation extends DurableObject<Env> {
  private readonly store: FederationStore;
  private readonly serial = new Serial();
  /** Client secrets that matched (federation-access.ts): a revocation forgets the client's. */
  private readonly matchedSecrets = new MatchedSecrets();
  private readonly shards: ShardedRoundEnding;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new FederationStore(ctx.storage);
    this.shards = new ShardedRoundEnding(this.store, env, {
      movePointer: (summary, published, usage) => this.movePointer(summary, published, usage),
      wakeSchedule: (at) => this.wakeSchedule(at),
    });
    ctx.blockConcurrencyWhile(async () => {
      this.store.load();
      await signUnsignedVersions(this.store, env);
      const record = this.store.record;
      if (record) await classifyVersions(this.store, env.MODELS, record);
    });
  }

  /**
   * Creates the federation and publishes its initial model as version 0; refuses a configuration
   * below the platform's privacy floors.
   */
  async create(id: string, tenantId: string, config: FederationConfig): Promise<Result<FederationRecord>> {
    return this.serial.run(async () => {
      if (this.store.record) return failure("conflict", "federation already exists");
      const below = federationBelowFloors(config, platformFloors(this.env));
      if (below) return failure("invalid_config", below);
      const degree = checkNeighbourDegree(config);
      if (!degree.ok) return degree;
      this.store.createTables();
      const initial = initialModel(config);
      if (!initial.ok) return initial;
      const record: StoredFederation = {
        id,
        tenantId,
        createdAt: new Date().toISOString(),
        config,
        latestVersion: 0,
        nextRound: 1,
        currentRound: null,
      };
      const { file, final } = initial.value;
      const bytes = { bytes: encodeModelFile(stampedModel(config, 0, file)), final };
      const published = await putVersion(this.env, id, 0, bytes, null, record.createdAt);
      this.store.transaction(() => {
        this.store.addVersion(published);
        this.store.saveRecord(record);
      });
      await this.wakeSchedule(Date.now());
      return success(this.store.describe(record));
    });
  }

  /** The federation; a client sees it without the usage ledger. */
  async describe(caller: Caller): Promise<Result<FederationRecord | ClientFederation>> {
    return this.asMember(caller, ["owner", "client"], (record, access) =>
      success(federationFor(this.store.describe(record), access)),
    );
  }

  async overview(caller: Caller): Promise<Result<FederationOverview>> {
    return this.asMember(caller, ["owner"], (record) =>
      success({
        federation: this.store.describe(record),
        rounds: this.store.rounds(),
        versions: this.store.versions(),
        evaluations: this.store.evaluations(),
      }),
    );
  }

  /** Enrols a client: its token, and the public key that verifies the models it will download. */
  async enrolClient(caller: Caller, input: EnrolClient): Promise<Result<ClientEnrolment>> {
    const enrolled = await this.enrolClients(caller, [input]);
    return enrolled.ok ? success(enrolled.value[0]!) : enrolled;
  }

  /** Enrols a batch of clients in one transaction (all or none), each with its own token. */
  async enrolClients(caller: Caller, inputs: readonly EnrolClient[]): Promise<Result<ClientEnrolment[]>> {
    return this.asMember(caller, ["owner"], async (record) => {
      const { publicKey } = await modelSigner(this.env.MODEL_SIGNING_KEY);
      const enrolledAt = new Date().toISOString();
      const enrolments: { enrolment: ClientEnrolment; tokenHash: string }[] = [];
      for (const input of inputs) {
        const id = randomId("cli", 8);
        const secret = randomSecret();
        const client: EnrolledClient = { id, label: input.label ?? null, enrolledAt, revokedAt: null };
        enrolments.push({
          enrolment: { client, token: formatClientToken(record.id, id, secret), modelPublicKey: publicKey },
          tokenHash: await sha256Hex(secret),
        });
      }
      this.store.transaction(() => {
        for (const { enrolment, tokenHash } of enrolments)
          this.store.enrolClient(enrolment.client, tokenHash);
      });
      return success(enrolments.map((e) => e.enrolment));
    });
  }

  async listClients(caller: Caller): Promise<Result<EnrolledClient[]>> {
    return this.asMember(caller, ["owner"], () => success(this.store.clients()));
  }

  /**
   * Revokes a client's token in the round in progress (which holds a copy of its hash), then here.
   * It runs in the serial queue with round opening, so a round either opens without the client or
   * opens first and is told. The round goes first: if it cannot be told, the client stays active
   * here and the owner's retry tells it again.
   */
  async revokeClient(
    caller: Caller,
    clientId: string,
  ): Promise<Result<{ clientId: string; revokedAt: string }>> {
    return this.asMember(caller, ["owner"], () =>
      this.serial.run(async () => {
        const record = this.store.created();
        if (this.store.clientToken(clientId)?.revokedAt !== null)
          return failure("not_found", `no active client ${clientId}`);
        // Round.revoke takes no queue of its own, so calling it from ours cannot deadlock with a
        // Round that is waiting on this object.
        const current = record.currentRound === null ? undefined : this.store.round(record.currentRound);
        if (current && !current.shards) await this.roundStub(current.round).revoke(clientId);
        const shard = current?.shards?.find((s) => s.cohort.includes(clientId));
        if (current && shard) await this.roundStub(current.round, shard.shard).revoke(clientId);
        const revokedAt = new Date().toISOString();
        this.store.revokeClient(clientId, revokedAt);
        this.matchedSecrets.forget(clientId);
        return success({ clientId, revokedAt });
      }),
    );
  }

  /**
   * Opens the next round: samples the cohort (or checks the owner's), reserves the tenant's quota,
   * and starts the Round object. A sampled cohort comes from the checked-in clients when enough
   * have checked in, else from every active client.
   */
  async startRound(caller: Caller, cohort?: readonly string[]): Promise<Result<RoundSummary>> {
    return this.asMember(caller, ["owner"], () =>
      this.serial.run(async () => {
        // A round whose report of its end went missing would otherwise keep the federation busy.
        await this.reconcile();
        const available = { ids: this.store.availability.available(Date.now()), mode: "prefer" } as const;
        return openRound(this.store, this.env, cohort, available);
      }),
    );
  }

  /**
   * A client says it is available for rounds until its check-in expires; of its data it tells only
   * the bucket of its evaluation count. The receipt names the round in progress that invites it.
   */
  async checkIn(
    caller: Caller,
    input: CheckIn,
    wait: { waitMs?: number; afterRound?: number } = {},
  ): Promise<Result<CheckInReceipt>> {
    return this.asMember(caller, ["client"], async (record, access) => {
      const { clientId } = access;
      const now = Date.now();
      const expiresAt = this.store.availability.checkIn(clientId!, input.evaluationBucket, now);
      // A schedule waiting for clients (or for new evaluations) looks again now.
      if (record.currentRound === null) await this.wakeSchedule(now + 500);
      const after = wait.afterRound ?? 0;
      // Held (with waitMs) until a round after `afterRound` invites this client.
      const invitation = await this.store.changes.until(
        () => this.invitation(access),
        (round) => round !== null && round.round > after,
        wait.waitMs ?? 0,
      );
      return success({
        expiresAt: new Date(expiresAt).toISOString(),
        checkInAfterSeconds: CHECK_IN_SECONDS / 2,
        invitedTo: invitation?.round ?? null,
        invitation,
      });
    });
  }

  /** The round in progress that invites this client, as the client sees it, or null. */
  private invitation(access: Access): ClientRound | null {
    const { currentRound } = this.store.created();
    const current = currentRound === null ? undefined : this.store.viewRound(currentRound);
    if (current === undefined || current.outcome !== null) return null;
    const view = roundFor(current, access, (v) => this.store.version(v)) as ClientRound;
    return view.inCohort ? view : null;
  }

  /** The owner pauses a continuous schedule: no round opens until it resumes (the current one runs on). */
  async pause(caller: Caller): Promise<Result<FederationRecord>> {
    return this.setPaused(caller, true);
  }

  /** The owner resumes a paused schedule: it looks for clients now. */
  async resume(caller: Caller): Promise<Result<FederationRecord>> {
    return this.setPaused(caller, false);
  }

  private async setPaused(caller: Caller, paused: boolean): Promise<Result<FederationRecord>> {
    return this.asMember(caller, ["owner"], () =>
      this.serial.run(async () => {
        const record = this.store.created();
        if (record.config.schedule?.kind !== "continuous")
          return failure("conflict", "this federation's schedule is manual: its owner opens every round");
        const availability = this.store.availability;
        availability.saveState({ ...availability.state(), paused, waitingSince: null });
        if (!paused) await this.wakeSchedule(Date.now());
        return success(this.store.describe(this.store.created()));
      }),
    );
  }

  /** The schedule's alarm: reconciles the current round, then opens the next one when it should. */
  override async alarm(): Promise<void> {
    await this.serial.run(async () => {
      if (!this.store.record) return;
      let next: number | null;
      try {
        await this.reconcile();
        next = await stepSchedule(this.store, this.env, Date.now());
      } catch {
        // Transient (KV, the Tenant or the Round unreachable): look again shortly.
        next = Date.now() + 10_000;
      }
      if (next !== null) await this.ctx.storage.setAlarm(next);
    });
  }

  /** Brings a continuous, running schedule's alarm forward to `at` (never later than it was). */
  private async wakeSchedule(at: number): Promise<void> {
    const record = this.store.record;
    if (record?.config.schedule?.kind !== "continuous" || this.store.availability.state().paused) return;
    const set = await this.ctx.storage.getAlarm();
    if (set === null || set > at) await this.ctx.storage.setAlarm(at);
  }

  /**
   * The owner stops the round in progress: the Round aborts ("aborted by the owner"), its
   * reservation is refunded and no version is published. A round already publishing its total
   * cannot be stopped (conflict).
   */
  async abortRound(caller: Caller): Promise<Result<RoundSummary>> {
    return this.asMember(caller, ["owner"], async (record) => {
      const round = record.currentRound;
      if (round === null) return failure("not_found", "no round is in progress");
      if (this.store.round(round)?.shards) return this.stopShards(round);
      // Outside the serial queue: the aborting Round reports to this object through it.
      const aborted = await this.roundStub(round).abort();
      if (!aborted.ok) return aborted;
      if (aborted.value.outcome?.kind === "published")
        return failure(
          "conflict",
          `round ${round} has already published version ${aborted.value.outcome.version}`,
        );
      // Should the Round's report have gone missing, close the round from what the Round says. Best
      // effort: the round has aborted either way, and the Round keeps retrying its report. An
      // abort also pauses a continuous schedule, which would otherwise open the next round at once.
      await this.serial
        .run(async () => {
          this.pauseContinuousSchedule();
          await this.reconcile();
        })
        .catch(() => undefined);
      return success(aborted.value);
    });
  }

  /**
   * Grows a trained federation (new LLMs, or joining organisations): the grown state is published
   * as the next version, which the following rounds train from.
   */
  async grow(caller: Caller, growth: Growth): Promise<Result<FederationRecord>> {
    return this.asMember(caller, ["owner"], () =>
      this.serial.run(async () => {
        await this.reconcile();
        const record = this.store.created();
        if (record.currentRound !== null)
          return failure("conflict", `round ${record.currentRound} is still in progress`);
        const loaded = await loadGlobal(this.env.MODELS, record.id, record.config, record.latestVersion);
        if (!loaded.ok) return loaded;
        const grown = grownModel(loaded.value.router, loaded.value.global, record.config, growth);
        if (!grown.ok) return grown;
        const version = record.latestVersion + 1;
        const file = stampedModel(grown.value.config, version, grown.value.file);
        const bytes = { bytes: encodeModelFile(file), final: grown.value.final };
        const published = await putVersion(this.env, record.id, version, bytes, null);
        const next = { ...record, config: grown.value.config, latestVersion: published.version };
        this.store.transaction(() => {
          this.store.addVersion(published);
          this.store.saveRecord(next);
        });
        return success(this.store.describe(next));
      }),
    );
  }

  /** The rounds of the page (default all); a client sees of each cohort only whether it is in it. */
  async listRounds(caller: Caller, page: ListPage = {}): Promise<Result<(RoundSummary | ClientRound)[]>> {
    return this.asMember(caller, ["owner", "client"], (_record, access) =>
      success(this.store.rounds(page).map((summary) => roundFor(summary, access))),
    );
  }

  /**
   * A round (or the current one). With `waitMs`, a round without an outcome is held until it has
   * one, at most that long (a long poll: core/wire/long-poll.ts).
   */
  async getRound(
    caller: Caller,
    round: number | "current",
    waitMs = 0,
  ): Promise<Result<RoundSummary | ClientRound>> {
    return this.asMember(caller, ["owner", "client"], (_record, access) =>
      this.store.changes.until(
        (): Result<RoundSummary | ClientRound> => {
          const { currentRound } = this.store.created();
          const number = round === "current" ? currentRound : round;
          const summary = number === null ? undefined : this.store.viewRound(number);
          if (!summary)
            return failure(
              "not_found",
              round === "current" ? "no round is in progress" : `no round ${round}`,
            );
          return success(roundFor(summary, access, (v) => this.store.version(v)));
        },
        (found) => !found.ok || found.value.outcome !== null,
        waitMs,
      ),
    );
  }

  /**
   * The latest version: for owners the newest; for clients the newest final one, or one no round
   * made (the initial or a grown model), so a round's intermediate total never reaches them.
   */
  async latestModel(caller: Caller): Promise<Result<ModelPointer>> {
    return this.asMember(caller, ["owner", "client"], (record, access) => {
      const version =
        access.clientId === undefined
          ? this.store.version(record.latestVersion)!
          : this.store.latestForClients();
      return success({
        ...withPrivacySpent(record.config, version),
        federationId: record.id,
        url: modelPath(record.id, version.version),
      });
    });
  }

  /** The versions of the page (default all) the caller may read (versionScope says which a client may). */
  async listVersions(caller: Caller, page: ListPage = {}): Promise<Result<ModelVersion[]>> {
    return this.asMember(caller, ["owner", "client"], (record, access) =>
      success(
        this.store
          .versions(versionScope(this.store, record, access), page)
          .map((v) => withPrivacySpent(record.config, v)),
      ),
    );
  }

  /**
   * Authorises reading a published version's bytes (versionScope says which a client may). The
   * caller passes the client's If-None-Match: a client that already holds the version gets
   * `notModified` (a 304), and only versions sent in full count as served.
   */
  async serveVersion(
    caller: Caller,
    version: number,
    ifNoneMatch?: string,
  ): Promise<Result<ModelVersion & { key: string; notModified: boolean }>> {
    return this.asMember(caller, ["owner", "client"], (record, access) => {
      const scope = versionScope(this.store, record, access);
      const found = version <= record.latestVersion ? this.store.version(version, scope) : undefined;
      if (!found)
        return failure(
          "not_found",
          scope.kind === "all"
            ? `model version ${version} is not published`
            : `model version ${version} is not published to clients: only final versions, those no round made, and the version of a round this client is in`,
        );
      const notModified = etagMatches(ifNoneMatch, etagOf(found.sha256));
      if (!notModified) this.store.addUsage({ modelsServed: 1 });
      return success({ ...found, key: modelKey(record.id, version), notModified });
    });
  }

  async reportEvaluation(
    caller: Caller,
    version: number,
    report: EvaluationReport,
  ): Promise<Result<VersionEvaluation>> {
    return this.asMember(caller, ["client"], (record, { clientId }) => {
      if (version > record.latestVersion || !this.store.version(version))
        return failure("not_found", `model version ${version} is not published`);
      this.store.saveEvaluation(version, clientId!, report, new Date().toISOString());
      return success(this.store.evaluation(version)!);
    });
  }

  async usage(caller: Caller): Promise<Result<Usage>> {
    return this.asMember(caller, ["owner"], () => success(this.store.usage()));
  }

  /**
   * A Round reports progress (stage changes) or its abort; an aborted round is refunded and frees
   * the federation. A throw (the Tenant unreachable) leaves the report unacknowledged: the Round retries.
   */
  async recordRound(summary: RoundSummary, usage?: RoundUsage, shard?: number): Promise<Result<null>> {
    return this.serial.run(async () => {
      const record = this.store.record;
      if (!record || summary.federationId !== record.id) return failure("not_found", "no such federation");
      const known = this.store.round(summary.round);
      if (!known) return failure("not_found", `no round ${summary.round}`);
      if (known.outcome) return success(null);
      if (shard !== undefined) {
        if (!known.shards?.[shard])
          return failure("not_found", `round ${summary.round} has no shard ${shard}`);
        await this.shards.reported(known, summary, shard, usage);
        return success(null);
      }
      if (summary.outcome?.kind === "aborted") {
        await closeAbortedRound(this.store, this.env, summary, usage);
        await this.wakeSchedule(Date.now() + 1000);
      } else this.store.saveRound(summary);
      return success(null);
    });
  }

  /**
   * A Round's decoded total: check it, finalise the next global state, write its model file under
   * a new immutable key, then move the pointer. Repeating the call for a published round returns
   * the same version; a refusal (`implausible_total`: no honest clients could have sent it) or a
   * failure before the pointer moves leaves the previous model served.
   */
  async completeRound(
    summary: RoundSummary,
    total: RoundTotal,
    usage: RoundUsage,
    shard?: number,
  ): Promise<Result<{ version: number }>> {
    return this.serial.run(async () => {
      const record = this.store.record;
      if (!record || summary.federationId !== record.id) return failure("not_found", "no such federation");
      const known = this.store.round(summary.round);
      if (!known) return failure("not_found", `no round ${summary.round}`);
      if (known.outcome?.kind === "published") return success({ version: known.outcome.version });
      if (known.outcome || record.currentRound !== summary.round)
        return failure("conflict", `round ${summary.round} is not the round in progress`);
      if (summary.modelVersion !== record.latestVersion)
        return failure(
          "conflict",
          `round ${summary.round} trained on version ${summary.modelVersion}, latest is ${record.latestVersion}`,
        );
      if (shard !== undefined) return this.shards.completed(known, summary, total, usage, shard);
      const loaded = await loadGlobal(this.env.MODELS, record.id, record.config, record.latestVersion);
      if (!loaded.ok) return loaded;
      const version = record.latestVersion + 1;
      const bytes = finalisedModel(loaded.value.router, loaded.value.global, total, summary, {
        stamp: (file) => stampedModel(record.config, version, file),
        lastAffordable: lastAffordableAfter(record.config, version),
      });
      if (!bytes.ok) return bytes;
      const published = await putVersion(this.env, record.id, version, bytes.value, summary.round);
      // Charged the updates it aggregated, the rest refunded; settling again (a retry) changes nothing.
      await settleReservation(this.store, this.env, summary.round, usage.updates);
      this.movePointer({ ...summary, outcome: { kind: "published", version } }, published, usage);
      // A continuous schedule opens the training's next round (or ends the training) now.
      await this.wakeSchedule(Date.now());
      return success({ version });
    });
  }

  /** The pointer move: one transaction records the version, the round's outcome, usage and the pointer. */
  private movePointer(summary: RoundSummary, published: PublishedVersion, usage: RoundUsage): void {
    const record = this.store.created();
    this.store.transaction(() => {
      this.store.addVersion(published);
      this.store.saveRound(summary);
      this.store.addUsage({ roundsRun: 1, updatesAggregated: usage.updates, bytesIngested: usage.bytes });
      this.store.saveRecord({ ...record, latestVersion: published.version, currentRound: null });
    });
  }

  /**
   * Runs `act` when the caller holds one of `roles` in this federation, with the federation's
   * record as it stands once access is granted; otherwise returns the refusal.
   */
  private async asMember<T>(
    caller: Caller,
    roles: readonly Role[],
    act: (record: StoredFederation, access: Access) => Result<T> | Promise<Result<T>>,
  ): Promise<Result<T>> {
    const access = await authorise(
      this.store.record,
      caller,
      roles,
      (id) => this.store.clientToken(id),
      this.matchedSecrets,
    );
    if (!access.ok) return access;
    return act(this.store.created(), access.value);
  }

  /** The Round object of a round, or of one shard of a sharded round. */
  private roundStub(round: number, shard?: number) {
    return this.env.ROUNDS.getByName(roundObjectName(this.store.created().id, round, shard));
  }

  /**
   * The federation still counts a round as current: asks its Round (each shard's, for a sharded
   * round) whether it ended, in case a report of an abort went missing.
   */
  private async reconcile(): Promise<void> {
    const record = this.store.created();
    const current = record.currentRound === null ? undefined : this.store.round(record.currentRound);
    if (!current?.shards) return reconcileCurrentRound(this.store, this.env);
    await this.shards.reconcile(current);
  }

  /**
   * The owner stops a sharded round: it ends as aborted here at once (unless it published), then
   * every shard is told to stop. A shard that finishes anyway is refused when it brings its total.
   */
  private async stopShards(round: number): Promise<Result<RoundSummary>> {
    const ended = await this.serial.run(async () => {
      const known = this.store.round(round)!;
      if (known.outcome?.kind === "published")
        return failure("conflict", `round ${round} has already published version ${known.outcome.version}`);
      if (!known.outcome) {
        this.pauseContinuousSchedule();
        await this.shards.abort(known, SECAGG_ERROR.ABORTED_BY_OWNER, OWNER_ABORT_MESSAGE);
      }
      return success(this.store.round(round)!);
    });
    if (!ended.ok) return ended;
    // Outside the queue: each aborting shard reports to this object through it.
    await Promise.allSettled(ended.value.shards!.map((s) => this.roundStub(round, s.shard).abort()));
    return success(this.store.round(round)!);
  }

  /** An abort pauses a continuous schedule, which would otherwise open the next round at once. */
  private pauseContinuousSchedule(): void {
    const availability = this.store.availability;
    if (this.store.created().config.schedule?.kind === "continuous")
      availability.saveState({ ...availability.state(), paused: true });
  }
}
