// @fedrouter/client: what an app imports to route queries with its federation's router, keep its
// evaluations on the device and take part in secure rounds. Browser-safe: the Node-only file
// store is its own entry point (@fedrouter/client/file-store).

export type { EvaluationSet } from "../../core/data/evaluations.ts";
/** Embedders an app can pass (the default is rebuilt from the federation's embedder id). */
export { type Embedder, functionEmbedder, precomputedEmbedder } from "../../core/embedder/embedder.ts";
export { type HashingOptions, hashingEmbedder } from "../../core/embedder/hashing.ts";
export type { ExplorationPolicy } from "../../core/exploration.ts";
export type { EmbedderInfo, ModelFile } from "../../core/model-file.ts";
export type { EvidencePooling } from "../../core/personalisation-prior.ts";
export type { PredictionRows } from "../../core/prediction.ts";
export type { Random } from "../../core/random.ts";
export { seededRandom } from "../../core/random.ts";
/** The least a client accepts from a round (its `privacyFloors` option sets them). */
export type { PrivacyFloors } from "../../core/secagg/index.ts";
export type { EvaluationReport, VersionEvaluation } from "../../core/wire/models.ts";
export type { Backend } from "../../ort/index.ts";
/** Personalised routing: the built-in personaliser (prior and evidence), or the app's own. */
export {
  type AdaptivePersonaliserOptions,
  adaptivePersonaliser,
  type PersonalisationMethod,
  type PersonalisedPredictor,
} from "./adaptive-personaliser.ts";
/** The client: createClient(options) and what its methods take and return. */
export {
  createClient,
  FedrouterClient,
  type ModelInfo,
  type PredictOptions,
  type VersionPredictions,
} from "./client.ts";
/** Where the use-lite encoder is loaded from (the `useLite` client option). */
export type { UseLiteClientOptions } from "./embedders.ts";
/** Typed errors with stable codes. */
export { FedRouterError, type FedRouterErrorCode } from "./errors.ts";
export type { Inference, ModelPredictor } from "./model/predictor.ts";
export type { SyncResult } from "./model/sync.ts";
export { CLIENT_DEFAULTS, type ClientOptions, type PrivacyBudget, type RetryOptions } from "./options.ts";
export type { PersonalisationContext, Personaliser } from "./personalise.ts";
export { MAX_QUERY_LENGTH } from "./record.ts";
export { DEFAULT_RETRY, type RetryPolicy } from "./retry.ts";
export type { StartOptions } from "./round/availability-loop.ts";
export {
  PARTICIPATE_DEFAULTS,
  type ParticipateOptions,
  type ParticipationResult,
  type ParticipationStage,
  type ProgressEvent,
} from "./round/participate.ts";
export type { ProtocolStep } from "./round/secure-aggregation.ts";
export type { RouteDecision, RouteOptions, RoutePrediction, RouteQuery } from "./route.ts";
/** Evaluation stores: in memory, and IndexedDB in browsers. */
export { IndexedDbStore } from "./store/indexeddb-store.ts";
export { type Evaluation, type EvaluationStore, MemoryStore } from "./store/store.ts";
