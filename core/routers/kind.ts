// The contract of a router kind (K-means, MLP, ...): everything the edge, the SDK and the harness
// need of it, so that each reaches a kind only through the registry (registry.ts) and a new kind
// is one folder plus one line there. docs/architecture.md shows how to add one.
import type { EvaluationSet } from "../data/evaluations.ts";
import type { FederatedAlgorithm } from "../federated.ts";
import type { LocalTrainer } from "../mlp/local-training.ts";
import type { MlpRouter } from "../mlp/router-file.ts";
import type { EmbedderInfo } from "../model-file.ts";
import type { BatchPredictor } from "../prediction.ts";
import type { Random } from "../random.ts";
import type { Prediction } from "../routing.ts";

/** Hyperparameters as a federation's configuration carries them. */
export type Hyperparameters = Readonly<Record<string, number | string | boolean>>;

/** What a router is built from: a federation's models, embedder and router hyperparameters. */
export interface KindSetup {
  models: readonly string[];
  embedder: EmbedderInfo;
  hyperparameters: Hyperparameters;
  /**
   * The federation's tag vocabulary (context tags such as a feature or endpoint). A router's input
   * row is the query's embedding followed by one indicator per vocabulary tag (1 when the query
   * carries it); absent or empty: no tags.
   */
  tags?: readonly string[];
}

/**
 * Upper bounds on what a training puts through the platform, so the edge can refuse at create or
 * grow a router it could not store or aggregate rather than fail a round later.
 */
export interface Footprint {
  /** Bytes of the model file's tensors at their largest over the training (its header aside). */
  tensorBytes: number;
  /** Elements of the longest contribution of any pass. */
  contributionLength: number;
}

/**
 * Numeric work on the device that core cannot import (onnxruntime): the SDK, the harness and the
 * benches pass it in (ort/), tests pass the plain-TypeScript reference, the edge passes nothing.
 */
export interface LocalCompute {
  /** Runs a network's local epochs. */
  trainer: LocalTrainer;
  /** Batch inference of a network on onnxruntime; absent: the plain forward pass. */
  networkPredictor?(router: MlpRouter): Promise<BatchPredictor>;
}

/** What the edge knows of a pass's decoded total besides its elements. */
export interface TotalContext {
  /** Clients whose contributions the total sums. */
  participants: number;
  /**
   * Largest error of each decoded element against the plain sum of the clients' values:
   * fixed-point rounding moves each client's value by less than one step (participants / scale).
   */
  resolution: number;
}

/** A trained router loaded for routing in plain JavaScript, one query vector at a time. */
export interface Router {
  kind: string;
  embedder: EmbedderInfo;
  models: string[];
  /** The tag vocabulary whose indicators follow the embedding in `predict`'s row; absent: none. */
  tags?: readonly string[];
  /** Predictions for one input row: the embedding, then the indicators of `tags`. */
  predict(vector: Float32Array): Prediction;
}

/** What the harness trains a router with (every kind shares the experiment's protocol). */
export interface TrainingContext {
  models: string[];
  embedder: EmbedderInfo;
  /** The tag vocabulary; rows carry its indicators after the embedding (see KindSetup.tags). */
  tags?: readonly string[];
  random: Random;
  seed: number;
  /** Federated rounds, where a kind has them (`--rounds`). */
  rounds?: number;
  /** Reports progress within a training run (0..1). */
  progress?: (fraction: number) => void;
  /**
   * Client-level DP for federated training (core/privacy): wraps the kind's federated algorithm so
   * that contributions are clipped and each pass's sum noised. Absent: plain sums.
   */
  privatise?: <Global>(
    algorithm: FederatedAlgorithm<Global, EvaluationSet>,
    initial: Global,
  ) => FederatedAlgorithm<Global, EvaluationSet>;
}

/** A router kind in the experiment harness: federated, alone, and the scenarios it supports. */
export interface KindExperiment {
  readonly name: string;
  federated(clients: readonly EvaluationSet[], context: TrainingContext): Promise<BatchPredictor>;
  /** Trained on one data set alone: a client's local router, or the centralised reference. */
  alone(set: EvaluationSet, context: TrainingContext): Promise<BatchPredictor>;
  /**
   * The centralised reference, where it trains otherwise than `alone` (absent: `alone` on the
   * pooled set). A kind whose federated training regularises (averaging) gives the pooled set what
   * someone pooling the data would do instead, so the reference is not weakened by overfitting.
   * A kind whose training draws randomness may return several trainings on independent streams:
   * the harness reports their mean AUC, the expected AUC of a centralised training, where one
   * training's AUC moves with its stream by more than the gap the reference is there to measure.
   */
  centralised?(
    set: EvaluationSet,
    context: TrainingContext,
  ): Promise<BatchPredictor | readonly BatchPredictor[]>;
  /** Local fine-tuning from the router `federated()` trained last (a personalisation variant). */
  fineTune?(set: EvaluationSet, context: TrainingContext): Promise<BatchPredictor>;
  /**
   * New LLMs join: train federatedly on `base` (whose sets have only the first
   * `context.models.length - added.length` model columns), then add the `added` models and
   * learn only them from `extended` (all columns). Returns the router before and after.
   */
  newModels?(
    base: readonly EvaluationSet[],
    extended: readonly EvaluationSet[],
    added: readonly string[],
    context: TrainingContext,
  ): Promise<{ before: BatchPredictor; after: BatchPredictor }>;
  /** New organisations join a trained federation: train on `base`, then let `joining` train. */
  newClients?(
    base: readonly EvaluationSet[],
    joining: readonly EvaluationSet[],
    context: TrainingContext,
  ): Promise<{ before: BatchPredictor; after: BatchPredictor }>;
  /** Further baselines, such as the paper's pooled K-means, keyed by name. */
  baselines?(
    clients: readonly EvaluationSet[],
    context: TrainingContext,
  ): Promise<Record<string, BatchPredictor>>;
}

/**
 * One router kind. `State` is its global state between passes; every pass publishes it as a
 * model file (`algorithm().toModelFile`), the one format the edge stores and clients read.
 */
export interface RouterKind<State = unknown> {
  /** The kind's name in configurations and model files. */
  readonly name: string;
  /** For people: "K-means" (tables and reports say "K-means router"). */
  readonly label: string;
  /** Hyperparameters with their defaults, as a federation's configuration names them. */
  readonly defaults: Hyperparameters;
  /** Whether clients train a network before each contribution (rounds need longer deadlines). */
  readonly trainsLocally: boolean;
  /** A refusal for hyperparameters the kind cannot use (for people), or undefined when fine. */
  checkHyperparameters(setup: KindSetup): string | undefined;
  /** The global state before any pass (published as version 0). */
  initialState(setup: KindSetup): State;
  /**
   * The footprint of a new router's training for `setup`, computed without building its state
   * (which may be too large to build); given `state`, of the passes left from it (a grown router).
   */
  footprint(setup: KindSetup, state?: State): Footprint;
  /**
   * The hyperparameters with which `fedrouter experiment` trains this kind for `seed`, so that a
   * federation over the edge trains what the experiment simulates.
   */
  experimentHyperparameters(seed: number): Hyperparameters;
  /** The federated algorithm. The edge passes no compute: it only finalises totals. */
  algorithm(compute?: LocalCompute): FederatedAlgorithm<State, EvaluationSet>;
  /**
   * A refusal (for people) when a pass's decoded total cannot be a sum of honest contributions to
   * `state` (a negative count, a vector sum longer than its count allows, an update beyond its
   * clipping norm), or undefined when it can. The edge asks before finalising and publishes
   * nothing from a refused total, so a client that skips the SDK's clipping cannot push the model
   * outside what honest data could make (docs/secure-aggregation.md says what it can still do).
   */
  checkTotal(state: State, total: Float64Array, context: TotalContext): string | undefined;
  /** The share of clients a pass of this state's training usually takes. */
  participation(state: State): number;
  /** A fresh router like `state` (kind, models, embedder, hyperparameters) for one client alone. */
  localInitial(state: State): State;
  /** The state as a router; throws when it cannot route yet (mid-training). */
  router(state: State): Router;
  /** Faster batch inference where the kind has it (the MLP on onnxruntime). */
  acceleratedPredictor?(state: State, compute: LocalCompute): Promise<BatchPredictor>;
  /** The LLMs the router is learning after they were added to it (none once it is final). */
  modelsBeingAdded(state: State): string[];
  /** A trained router that learns new models next; absent when the kind cannot grow this way. */
  addModels?(state: State, models: readonly string[]): State;
  /** A trained router whose next passes are new organisations joining; absent when unsupported. */
  joinClients?(state: State): State;
  /**
   * The state with its training cut to one last pass that leaves a router: what the edge publishes
   * when a privacy budget affords one more round only. Absent where every state already routes
   * (the MLP's versions do): a kind whose middle states cannot route must have it, or a spent
   * budget leaves its federation without a router.
   */
  lastPass?(state: State): State;
  /**
   * The kind in the experiment harness, with the CLI's options (`--clusters`, `--rounds`, ...).
   * Loaded on demand, so that apps bundling the SDK do not carry the harness's code.
   */
  experiment(options: Hyperparameters, compute?: LocalCompute): Promise<KindExperiment>;
}
