// A router family as the harness sees it: how to train it federatedly, alone (client-local or
// centralized), and how to score a batch of queries.
import type { EvaluationSet } from "../core/data/evaluations.ts";
import type { EmbedderInfo } from "../core/model-file.ts";
import type { Random } from "../core/random.ts";

/** Row-major [query][model] predictions. */
export interface BatchPrediction {
  quality: Float64Array;
  cost: Float64Array;
  /** 0 where the router will not choose that model for that query. */
  available: Uint8Array | null;
}

export type Predictor = (features: Float32Array) => BatchPrediction | Promise<BatchPrediction>;

export interface TrainingContext {
  models: string[];
  embedder: EmbedderInfo;
  random: Random;
  seed: number;
  rounds?: number;
  /** Reports progress within a training run (0..1). */
  progress?: (fraction: number) => void;
}

export interface RouterFamily {
  name: "kmeans" | "mlp";
  federated(clients: readonly EvaluationSet[], context: TrainingContext): Promise<Predictor>;
  alone(set: EvaluationSet, context: TrainingContext): Promise<Predictor>;
  /**
   * One epoch of local fine-tuning from the federated router trained last by `federated()`
   * (a personalisation variant), if the family supports it.
   */
  fineTune?(set: EvaluationSet, context: TrainingContext): Promise<Predictor>;
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
  ): Promise<{ before: Predictor; after: Predictor }>;
  /**
   * New organisations join a trained federation: train on `base`, then let only `joining` train
   * for a few rounds while keeping what the federation knew. Returns the router before and after.
   */
  newClients?(
    base: readonly EvaluationSet[],
    joining: readonly EvaluationSet[],
    context: TrainingContext,
  ): Promise<{ before: Predictor; after: Predictor }>;
  /** Further baselines, such as the paper's pooled K-means, keyed by name. */
  baselines?(clients: readonly EvaluationSet[], context: TrainingContext): Promise<Record<string, Predictor>>;
}
