// The federated K-means router's configuration and state, shared by its passes (federated.ts)
// and the way a trained router takes in joining organisations (join.ts).
import type { EmbedderInfo } from "../model-file.ts";

/** The kind's name in configurations and model files. */
export const KMEANS_KIND = "kmeans";

export interface KMeansConfig {
  clusters: number;
  /** Lloyd passes at each size of the clustering (the last size gets the same). */
  lloydPasses: number;
  /** Power-iteration passes that find a splitting cluster's principal direction. */
  powerPasses: number;
  /** Stop refining a size early when the squared error improves by less than this fraction. */
  tolerance: number;
  /** Public seed of the split directions (not secret: it reveals nothing about any client). */
  seed: number;
  /** Pseudo-count for sparse (cluster, model) cells. */
  prior: number;
  models: string[];
  embedder: EmbedderInfo;
  /** The tag vocabulary: rows carry its indicators after the embedding (core/routers/tags.ts). */
  tags?: string[];
}

/** Defaults chosen by measured AUC on both real data sets (docs/tuning.md). */
export const KMEANS_DEFAULTS = {
  clusters: 8,
  lloydPasses: 20,
  powerPasses: 4,
  tolerance: 1e-4,
  seed: 7,
  prior: 4,
};

/**
 * "extend" is the pass after models were added to a trained router: clients send statistics for
 * the new models' columns only, and the clustering and the old statistics stay as they were.
 */
export type KMeansPhase = "lloyd" | "power" | "stats" | "extend" | "join" | "done";

export interface KMeansState {
  config: KMeansConfig;
  phase: KMeansPhase;
  /** Clusters in the current clustering (grows to config.clusters). */
  size: number;
  /** Lloyd passes done at the current size. */
  pass: number;
  /** Squared error measured by the previous pass (for the early stop). */
  lastError: number;
  centroids: Float32Array;
  /** During power passes: the clusters being split and their current directions (one row each). */
  splitting?: number[];
  directions?: Float32Array;
  /** Present once the statistics pass is done. */
  stats?: Float64Array;
  /** During the extend pass: how many of config.models are new (they are the last ones). */
  added?: number;
  /** During the join pass: how many clusters the router had before the joining clients' ones. */
  joinedFrom?: number;
  /** During the join pass: pseudo-observations of the old router given to each new cluster. */
  joinDistillation?: number;
  /**
   * While joining organisations cluster their own data (this state's passes): the trained
   * router they will join, kept as it was.
   */
  joinBase?: JoinBase;
}

/** A trained router kept while joining organisations cluster their own data. */
export interface JoinBase {
  clusters: number;
  size: number;
  centroids: Float32Array;
  stats: Float64Array;
  /** Pseudo-observations of it given to each joining cluster (join.ts). */
  distillation: number;
}

export function initialKMeansState(
  config: Partial<KMeansConfig> & Pick<KMeansConfig, "models" | "embedder">,
): KMeansState {
  const full: KMeansConfig = { ...KMEANS_DEFAULTS, ...config };
  if (!Number.isInteger(full.clusters) || full.clusters < 1)
    throw new RangeError(`clusters must be >= 1, got ${full.clusters}`);
  return {
    config: full,
    phase: "lloyd",
    size: 1,
    pass: 0,
    lastError: Number.POSITIVE_INFINITY,
    centroids: new Float32Array(full.embedder.dimension),
  };
}
