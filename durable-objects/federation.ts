// A federation's durable object: configuration, enrolled clients, rounds, model versions, usage.
// It opens rounds (sampling the cohort and reserving the tenant's quota), and when a Round reports
// its total it finalises the next model, publishes it to KV under a new immutable key, and only
// then moves the latest-version pointer kept here. Storage, access checks, round opening and
// publishing live in the federation-*.ts files beside it; this object routes calls between them.
import { DurableObject } from "cloudflare:workers";
import { encodeModelFile } from "../core/model-file.ts";
import { sha256Hex } from "../core/sha256.ts";
import type { ClientEnrolment, EnrolClient, EnrolledClient } from "../core/wire/clients.ts";
import type { FederationOverview } from "../core/wire/dashboard.ts";
import { failure, type Result, success } from "../core/wire/errors.ts";
import type {
  ClientFederation,
  FederationConfig,
  Federation as FederationRecord,
  Growth,
  Usage,
} from "../core/wire/federation.ts";
import { randomId, roundObjectName } from "../core/wire/ids.ts";
import {
  type EvaluationReport,
  type ModelPointer,
  type ModelVersion,
  modelKey,
  modelPath,
  type VersionEvaluation,
} from "../core/wire/models.ts";
import type { ClientRound, RoundSummary } from "../core/wire/rounds.ts";
import { formatClientToken } from "../core/wire/tokens.ts";
import type { Caller } from "./caller.ts";
import { randomSecret } from "./credentials.ts";
import { type Access, authorise, type Role } from "./federation-access.ts";
import { checkNeighbourDegree, openRound } from "./federation-opening.ts";
import { classifyVersions, finalisedModel, loadGlobal, putVersion } from "./federation-publishing.ts";
import { FederationStore, type PublishedVersion, type StoredFederation } from "./federation-store.ts";
import { federationFor, roundFor, versionScope } from "./federation-views.ts";
import { grownModel } from "./growth.ts";
import type { RoundUsage } from "./round-setup.ts";
import { initialModel } from "./router-kind.ts";
import { Serial } from "./serial.ts";

export class Federation extends DurableObject<Env> {
  private readonly store: FederationStore;
  private readonly serial = new Serial();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new FederationStore(ctx.storage);
    ctx.blockConcurrencyWhile(async () => {
      this.store.load();
      const record = this.store.record;
      if (record) await classifyVersions(this.store, env.MODELS, record);
    });
  }

  /** Creates the federation and publishes its initial model as version 0. */
  async create(id: string, tenantId: string, config: FederationConfig): Promise<Result<FederationRecord>> {
    return this.serial.run(async () => {
      if (this.store.record) return failure("conflict", "federation already exists");
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
      const bytes = { bytes: encodeModelFile(file), final };
      const published = await putVersion(this.env.MODELS, id, 0, bytes, null, record.createdAt);
      this.store.transaction(() => {
        this.store.addVersion(published);
        this.store.saveRecord(record);
      });
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

  async enrolClient(caller: Caller, input: EnrolClient): Promise<Result<ClientEnrolment>> {
    return this.asMember(caller, ["owner"], async (record) => {
      const id = randomId("cli", 8);
      const secret = randomSecret();
      const client: EnrolledClient = {
        id,
        label: input.label ?? null,
        enrolledAt: new Date().toISOString(),
        revokedAt: null,
      };
      this.store.enrolClient(client, await sha256Hex(secret));
      return success({ client, token: formatClientToken(record.id, id, secret) });
    });
  }

  async listClients(caller: Caller): Promise<Result<EnrolledClient[]>> {
    return this.asMember(caller, ["owner"], () => success(this.store.clients()));
  }

  /** Revokes a client's token here and in the round in progress (which holds a copy of its hash). */
  async revokeClient(
    caller: Caller,
    clientId: string,
  ): Promise<Result<{ clientId: string; revokedAt: string }>> {
    return this.asMember(caller, ["owner"], async (record) => {
      const revokedAt = new Date().toISOString();
      if (!this.store.revokeClient(clientId, revokedAt))
        return failure("not_found", `no active client ${clientId}`);
      if (record.currentRound !== null) await this.roundStub(record.currentRound).revoke(clientId);
      return success({ clientId, revokedAt });
    });
  }

  /**
   * Opens the next round: samples the cohort (or checks the owner's), reserves the tenant's quota,
   * and starts the Round object.
   */
  async startRound(caller: Caller, cohort?: readonly string[]): Promise<Result<RoundSummary>> {
    return this.asMember(caller, ["owner"], () =>
      this.serial.run(() => openRound(this.store, this.env, cohort)),
    );
  }

  /**
   * Grows a trained federation (new LLMs, or joining organisations): the grown state is published
   * as the next version, which the following rounds train from.
   */
  async grow(caller: Caller, growth: Growth): Promise<Result<FederationRecord>> {
    return this.asMember(caller, ["owner"], () =>
      this.serial.run(async () => {
        const record = this.store.created();
        if (record.currentRound !== null)
          return failure("conflict", `round ${record.currentRound} is still in progress`);
        const loaded = await loadGlobal(this.env.MODELS, record.id, record.config, record.latestVersion);
        if (!loaded.ok) return loaded;
        const grown = grownModel(loaded.value.router, loaded.value.global, record.config, growth);
        if (!grown.ok) return grown;
        const bytes = { bytes: encodeModelFile(grown.value.file), final: grown.value.final };
        const published = await putVersion(this.env.MODELS, record.id, record.latestVersion + 1, bytes, null);
        const next = { ...record, config: grown.value.config, latestVersion: published.version };
        this.store.transaction(() => {
          this.store.addVersion(published);
          this.store.saveRecord(next);
        });
        return success(this.store.describe(next));
      }),
    );
  }

  /** Every round; a client sees of each cohort only whether it is in it. */
  async listRounds(caller: Caller): Promise<Result<(RoundSummary | ClientRound)[]>> {
    return this.asMember(caller, ["owner", "client"], (_record, access) =>
      success(this.store.rounds().map((summary) => roundFor(summary, access))),
    );
  }

  async getRound(caller: Caller, round: number | "current"): Promise<Result<RoundSummary | ClientRound>> {
    return this.asMember(caller, ["owner", "client"], (record, access) => {
      const number = round === "current" ? record.currentRound : round;
      const summary = number === null ? undefined : this.store.round(number);
      if (!summary)
        return failure("not_found", round === "current" ? "no round is in progress" : `no round ${round}`);
      return success(roundFor(summary, access));
    });
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
      return success({ ...version, federationId: record.id, url: modelPath(record.id, version.version) });
    });
  }

  /** The versions the caller may read (versionScope says which a client may). */
  async listVersions(caller: Caller): Promise<Result<ModelVersion[]>> {
    return this.asMember(caller, ["owner", "client"], (record, access) =>
      success(this.store.versions(versionScope(this.store, record, access))),
    );
  }

  /** Authorises reading a published version's bytes and counts it as served. */
  async serveVersion(caller: Caller, version: number): Promise<Result<ModelVersion & { key: string }>> {
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
      this.store.addUsage({ modelsServed: 1 });
      return success({ ...found, key: modelKey(record.id, version) });
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

  /** A Round reports progress (stage changes) or its abort; an aborted round frees the federation. */
  async recordRound(summary: RoundSummary, usage?: RoundUsage): Promise<Result<null>> {
    return this.serial.run(async () => {
      const record = this.store.record;
      if (!record || summary.federationId !== record.id) return failure("not_found", "no such federation");
      const known = this.store.round(summary.round);
      if (!known) return failure("not_found", `no round ${summary.round}`);
      if (known.outcome) return success(null);
      this.store.transaction(() => {
        this.store.saveRound(summary);
        if (summary.outcome?.kind === "aborted") {
          this.store.addUsage({ roundsAborted: 1, bytesIngested: usage?.bytes ?? 0 });
          if (record.currentRound === summary.round) this.store.saveRecord({ ...record, currentRound: null });
        }
      });
      return success(null);
    });
  }

  /**
   * A Round's decoded total: finalise the next global state, write its model file under a new
   * immutable key, then move the pointer. Repeating the call for a published round returns the
   * same version; a failure before the pointer moves leaves the previous model served.
   */
  async completeRound(
    summary: RoundSummary,
    total: Float64Array,
    usage: RoundUsage,
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
      const loaded = await loadGlobal(this.env.MODELS, record.id, record.config, record.latestVersion);
      if (!loaded.ok) return loaded;
      const bytes = finalisedModel(loaded.value.router.algorithm, loaded.value.global, total);
      if (!bytes.ok) return bytes;
      const version = record.latestVersion + 1;
      const published = await putVersion(this.env.MODELS, record.id, version, bytes.value, summary.round);
      this.movePointer({ ...summary, outcome: { kind: "published", version } }, published, usage);
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
    const access = await authorise(this.store.record, caller, roles, (id) => this.store.clientToken(id));
    if (!access.ok) return access;
    return act(this.store.created(), access.value);
  }

  private roundStub(round: number) {
    return this.env.ROUNDS.getByName(roundObjectName(this.store.created().id, round));
  }
}
