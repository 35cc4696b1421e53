// The one object an app holds: created with the edge URL, federation id and client token, it
// syncs the federation's router, routes queries, records evaluations on the device and takes
// part in rounds. Arguments are checked at the call (a bad one throws a bad_argument
// FedRouterError synchronously, before any I/O); everything else fails with a coded error.

import type { Embedder } from "../../core/embedder/embedder.ts";
import { type EmbedderInfo, type ModelFile, tagsOf } from "../../core/model-file.ts";
import { modelPrivacy } from "../../core/privacy/model-privacy.ts";
import { modelsBeingAdded } from "../../core/routers/registry.ts";
import { routerRow } from "../../core/routers/tags.ts";
import type { EvaluationReport, VersionEvaluation } from "../../core/wire/models.ts";
import type { PrivacySpec, PrivacySpent } from "../../core/wire/privacy.ts";
import type { ClientRound } from "../../core/wire/rounds.ts";
import { type OrtCompute, ortCompute } from "../../ort/index.ts";
import { EdgeApi } from "./edge.ts";
import { FederationEmbedders } from "./embedders.ts";
import { FedRouterError, requireArgument } from "./errors.ts";
import { createPredictor, type ModelPredictor } from "./model/predictor.ts";
import { type LoadedModel, ModelSync, type SyncResult } from "./model/sync.ts";
import { type ClientOptions, type ResolvedOptions, resolveOptions } from "./options.ts";
import { checkedEvaluation } from "./record.ts";
import { checkParticipateArguments } from "./round/arguments.ts";
import { AvailabilityLoop, type StartOptions } from "./round/availability-loop.ts";
import { type ParticipateOptions, type ParticipationResult, participate } from "./round/participate.ts";
import { withinPinnedBudget } from "./round/pinned-budget.ts";
import { buildTrainingSet } from "./round/training-set.ts";
import {
  checkQuery,
  checkRouteArguments,
  type RouteDecision,
  type RouteOptions,
  type RouteQuery,
  routeVector,
} from "./route.ts";
import type { Evaluation, EvaluationStore } from "./store/store.ts";
import { checkTags } from "./tags.ts";

/** What the client holds of the federation's router. */
export interface ModelInfo {
  version: number;
  sha256: string;
  kind: string;
  models: string[];
  embedder: EmbedderInfo;
  /** The federation's tag vocabulary: the tags route() and record() learn from (may be empty). */
  tags: string[];
  /** The round that produced it (null for the initial model). */
  round: number | null;
  /** With a privacy budget: the cumulative (epsilon, delta) its model file states. */
  privacy?: PrivacySpent;
}

/** Every model's predicted quality and cost (USD) for each vector, in the router's model order. */
export interface VersionPredictions {
  quality: Float64Array[];
  cost: Float64Array[];
  /**
   * Per vector, 0 for models the router has no basis to predict there (route() never chooses
   * them), 1 otherwise; absent when the router predicts every model everywhere (the MLP).
   */
  available?: Uint8Array[];
  version: number;
}

/** Options of predict(). */
export interface PredictOptions {
  /** Per vector, its context tags (as route() takes them); absent: no tags. */
  tags?: (string[] | undefined)[];
}

export class FedrouterClient {
  readonly clientId: string;
  readonly federationId: string;
  /** Where this client's evaluations are kept. */
  readonly store: EvaluationStore;
  readonly #options: ResolvedOptions;
  readonly #edge: EdgeApi;
  readonly #models: ModelSync;
  /** Local training and onnxruntime inference, loaded on first use. */
  readonly #compute: OrtCompute;
  /** Predictors of the held version, per mode; rebuilt when the version changes. */
  #predictors = new Map<string, Promise<ModelPredictor>>();
  #predictorsVersion = -1;
  /** The federation's embedder: the app's, or rebuilt from its id once, on first use. */
  readonly #embedders: FederationEmbedders;
  /** The background loop of start() and stop(). */
  readonly #loop: AvailabilityLoop;
  /** The federation's declared privacy budget, read once (a failed read is tried again). */
  #declared: Promise<PrivacySpec | undefined> | undefined;

  constructor(options: ClientOptions) {
    this.#options = resolveOptions(options);
    this.clientId = this.#options.clientId;
    this.federationId = this.#options.federationId;
    this.store = this.#options.store;
    this.#edge = new EdgeApi(this.#options);
    this.#models = new ModelSync(this.#edge, this.federationId, this.#options.modelPublicKey);
    const { backend, threads, wasmPaths } = this.#options;
    this.#compute = ortCompute({ backend, threads, ...(wasmPaths ? { wasmPaths } : {}) });
    this.#embedders = new FederationEmbedders(this.#options.embedder, this.#options.useLite);
    this.#loop = new AvailabilityLoop({
      edge: this.#edge,
      store: this.store,
      longPollMs: this.#options.longPollMs,
      ready: (signal) => this.#declaredPrivacy(signal),
      participate: (options, invitation) => this.#participate(options, invitation),
    });
  }

  /** The model version held, or undefined before the first successful sync. */
  get model(): ModelInfo | undefined {
    const held = this.#models.current;
    if (!held) return undefined;
    const { kind, models, embedder } = held.file;
    const privacy = statedPrivacy(held.file);
    return {
      version: held.version,
      sha256: held.sha256,
      kind,
      models: [...models],
      embedder: { ...embedder },
      tags: tagsOf(held.file).slice(),
      round: held.round,
      ...(privacy ? { privacy } : {}),
    };
  }

  /** The decoded model file of the held version (shared, not a copy: read it, do not change it). */
  modelFile(): ModelFile | undefined {
    return this.#models.current?.file;
  }

  /**
   * Fetches the latest router if it changed (If-None-Match with the held SHA-256), verifies its
   * signature (with the modelPublicKey option) and SHA-256 and decodes it. On any failure it
   * throws and keeps serving the model it held.
   */
  sync(): Promise<SyncResult> {
    return this.#models.sync();
  }

  /**
   * The LLMs to evaluate on this query besides the one the app uses: while the federation learns
   * models just added to it (the latest version the last sync() saw), all of them on a share of
   * queries (`newModelShare`, default 0.1, drawn with crypto.getRandomValues), otherwise none.
   * Record those evaluations with record() like any other.
   */
  newModelsToEvaluate(): string[] {
    const latest = this.#models.pending ?? this.#models.current;
    if (!latest) return [];
    const added = modelsBeingAdded(latest.file);
    if (added.length === 0) return [];
    const draw = crypto.getRandomValues(new Uint32Array(1))[0]! / 2 ** 32;
    return draw < this.#options.newModelShare ? added : [];
  }

  /**
   * Chooses a model for a query: embeds it (or takes the app's vector), predicts every model's
   * quality and cost with the held version (syncing first if none is held) and applies the
   * lambda or cost-cap rule within the allow/deny lists.
   */
  route(query: RouteQuery, options: RouteOptions = {}): Promise<RouteDecision> {
    checkQuery(query);
    checkRouteArguments(options);
    requireArgument(
      options.mode !== "personalised" || this.#options.personaliser,
      'route(): mode "personalised" needs the personaliser client option',
    );
    return this.#route(query, options);
  }

  async #route(query: RouteQuery, options: RouteOptions): Promise<RouteDecision> {
    const model = await this.#held();
    const predictor = await this.#predictor(model, options.mode ?? "global");
    const [vector] =
      typeof query === "string" ? await this.#embed([query], model.file.embedder) : [query.vector];
    this.#checkDimension(vector!, model.file.embedder);
    // The router reads the embedding followed by the indicators of the federation's tags.
    const row = routerRow(vector!, options.tags, tagsOf(model.file));
    return routeVector(predictor, model.version, row, options);
  }

  /**
   * Every model's predicted quality and cost for vectors of the federation's embedder (for
   * evaluation); `tags[i]`, when given, are vector i's context tags (as route() takes them).
   */
  predict(vectors: Float32Array[], options: PredictOptions = {}): Promise<VersionPredictions> {
    requireArgument(
      Array.isArray(vectors) && vectors.every((v) => v instanceof Float32Array),
      "predict(): vectors must be an array of Float32Array",
    );
    const { tags } = options;
    requireArgument(
      tags === undefined || (Array.isArray(tags) && tags.length === vectors.length),
      "predict(): tags must hold one list (or undefined) per vector",
    );
    for (const list of tags ?? []) checkTags(list, "predict()");
    return this.#predict(vectors, tags);
  }

  async #predict(
    vectors: Float32Array[],
    tags: readonly (string[] | undefined)[] | undefined,
  ): Promise<VersionPredictions> {
    const model = await this.#held();
    for (const vector of vectors) this.#checkDimension(vector, model.file.embedder);
    const predictor = await this.#predictor(model, "global");
    const vocabulary = tagsOf(model.file);
    const rows = vectors.map((vector, i) => routerRow(vector, tags?.[i], vocabulary));
    const { quality, cost, available } = await predictor.predict(rows);
    const known = available?.some((row) => row !== undefined);
    return {
      quality,
      cost,
      ...(known
        ? {
            available: available!.map((row, i) =>
              row ? Uint8Array.from(row) : new Uint8Array(quality[i]!.length).fill(1),
            ),
          }
        : {}),
      version: model.version,
    };
  }

  /** Embeds texts with the federation's embedder (syncing first if no model is held). */
  embed(texts: string[]): Promise<Float32Array[]> {
    requireArgument(
      Array.isArray(texts) && texts.every((t) => typeof t === "string"),
      "embed(): texts must be an array of strings",
    );
    return this.#held().then((model) => this.#embed(texts, model.file.embedder));
  }

  /** Stores one evaluation on the device; it never leaves it (only masked sums of what it teaches do). */
  record(evaluation: Evaluation): Promise<void> {
    const checked = checkedEvaluation(evaluation);
    return this.store.add(checked).catch((error: unknown) => {
      if (error instanceof FedRouterError) throw error;
      throw new FedRouterError("store", `cannot store the evaluation: ${(error as Error).message}`, {
        cause: error,
      });
    });
  }

  /**
   * Takes part in a round: waits for one whose cohort holds this client, trains on the stored
   * evaluations and runs the client side of secure aggregation (see ParticipateOptions).
   */
  participate(options: ParticipateOptions = {}): Promise<ParticipationResult> {
    return this.#participate(options);
  }

  #participate(options: ParticipateOptions, invitation?: ClientRound): Promise<ParticipationResult> {
    checkParticipateArguments(options);
    return participate(
      {
        clientId: this.clientId,
        edge: this.#edge,
        models: this.#models,
        store: this.store,
        embedderFor: (info) => this.#embedderFor(info),
        compute: () => this.#compute,
        pollIntervalMs: this.#options.pollIntervalMs,
        longPollMs: this.#options.longPollMs,
        privacyFloors: this.#options.privacyFloors,
        declaredPrivacy: (signal) => this.#declaredPrivacy(signal),
      },
      options,
      invitation,
    );
  }

  /**
   * Keeps this client available to a federation that trains itself: a background loop checks in
   * (revealing only a coarse bucket of how many evaluations are stored), takes part in each round
   * that invites it and backs off on errors, until stop(). In a browser it runs while the page is
   * visible.
   */
  start(options: StartOptions = {}): void {
    this.#loop.start(options);
  }

  /** Ends the loop start() began, and any round it is taking part in. */
  stop(): Promise<void> {
    return this.#loop.stop();
  }

  /** Reports the AUC this client measured for a version on its held-out data (default: the held version). */
  reportEvaluation(report: EvaluationReport & { version?: number }): Promise<VersionEvaluation> {
    requireArgument(
      typeof report === "object" && report !== null,
      "reportEvaluation(): report must be an object",
    );
    const { version, auc, examples } = report;
    requireArgument(
      typeof auc === "number" && auc >= 0 && auc <= 1,
      "reportEvaluation(): auc must be in [0, 1]",
    );
    requireArgument(
      Number.isInteger(examples) && examples >= 1,
      "reportEvaluation(): examples must be an integer >= 1",
    );
    requireArgument(
      version === undefined || (Number.isInteger(version) && version >= 0),
      "reportEvaluation(): version must be an integer >= 0",
    );
    const held = this.#models.current?.version;
    const target = version ?? held;
    if (target === undefined)
      return Promise.reject(
        new FedRouterError("no_model", "no model is held: sync() first or pass a version"),
      );
    return this.#edge.reportEvaluation(target, { auc, examples });
  }

  async #held(): Promise<LoadedModel> {
    if (!this.#models.current) await this.#models.sync();
    return this.#models.current!;
  }

  /**
   * The budget the federation declared at creation. Its configuration cannot change it afterwards,
   * so it is read once and held: a later round is judged against what this client first saw.
   */
  #declaredPrivacy(signal?: AbortSignal): Promise<PrivacySpec | undefined> {
    this.#declared ??= this.#edge.federation(signal).then(
      (federation) => withinPinnedBudget(federation.config.privacy, this.#options.privacyBudget),
      (error: unknown) => {
        this.#declared = undefined;
        throw error;
      },
    );
    return this.#declared;
  }

  #embedderFor(info: EmbedderInfo): Promise<Embedder | undefined> {
    return this.#embedders.for(info);
  }

  async #embed(texts: string[], info: EmbedderInfo): Promise<Float32Array[]> {
    const embedder = await this.#embedderFor(info);
    if (!embedder)
      throw new FedRouterError(
        "embedder_mismatch",
        `the router uses embedder ${info.id}, which this SDK cannot build: pass the embedder option or route vectors`,
      );
    return embedder.embed(texts);
  }

  #checkDimension(vector: Float32Array, info: EmbedderInfo): void {
    if (vector.length !== info.dimension)
      throw new FedRouterError(
        "embedder_mismatch",
        `the vector has ${vector.length} dimensions, the router's embedder ${info.id} has ${info.dimension}`,
      );
  }

  #predictor(model: LoadedModel, mode: "global" | "personalised"): Promise<ModelPredictor> {
    if (this.#predictorsVersion !== model.version) {
      this.#predictors = new Map();
      this.#predictorsVersion = model.version;
    }
    let predictor = this.#predictors.get(mode);
    if (!predictor) {
      predictor = this.#buildPredictor(model, mode);
      // A failed build is not cached: the next call tries again.
      predictor.catch(() => this.#predictors.delete(mode));
      this.#predictors.set(mode, predictor);
    }
    return predictor;
  }

  async #buildPredictor(model: LoadedModel, mode: "global" | "personalised"): Promise<ModelPredictor> {
    const global =
      mode === "global"
        ? await createPredictor(model.file, model.version, this.#options.inference, () => this.#compute)
        : await this.#predictor(model, "global");
    if (mode === "global") return global;
    return this.#options.personaliser!.personalise(global, {
      version: model.version,
      file: model.file,
      compute: this.#compute,
      predictor: (file) => createPredictor(file, model.version, this.#options.inference, () => this.#compute),
      trainingSet: async () =>
        (
          await buildTrainingSet(
            await this.store.all(),
            model.file.models,
            model.file.embedder,
            await this.#embedderFor(model.file.embedder),
            tagsOf(model.file),
          )
        ).set,
    });
  }
}

/** Creates a client; throws a bad_argument FedRouterError when an option is wrong. */
export function createClient(options: ClientOptions): FedrouterClient {
  return new FedrouterClient(options);
}

/** The spend a model file states, or undefined when it states none or a malformed one. */
function statedPrivacy(file: ModelFile): PrivacySpent | undefined {
  try {
    return modelPrivacy(file);
  } catch {
    return undefined;
  }
}
