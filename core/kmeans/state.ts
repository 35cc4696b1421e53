// The federated K-means router's configuration and state, shared by its passes (federated.ts)
// and the way a trained router takes in joining organisations (join.ts).
import type { EmbedderInfo } from "../model-file.ts";
import type { Shrinkage } from "./shrinkage.ts";

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
  /** Pseudo-count for sparse cells with "fixed" shrinkage (0: the paper's raw cell means). */
  prior: number;
  /** How sparse cells are pulled toward coarser means (router.ts, shrinkage.ts). */
  shrinkage: Shrinkage;
  /** Soft assignment at routing (KMeansRouter.softness); 0: the nearest cluster only. */
  softness: number;
  models: string[];
  embedder: EmbedderInfo;
  /** The federation's tag vocabulary: statistics are kept per (cluster, tag, model) as well. */
  tags: string[];
}

/**
 * Defaults chosen by measured AUC on both real data sets with USE lite vectors, one configuration
 * for both and for queries with and without tags, chosen on held-out seeds (docs/tuning.md):
 * 16 clusters, empirical-Bayes shrinkage (no tuned pseudo-count), soft assignment at a quarter of
 * the clustering's spread. `prior` applies only with "fixed" shrinkage (the paper's protocol).
 */
export const KMEANS_DEFAULTS = {
  clusters: 16,
  lloydPasses: 20,
  powerPasses: 4,
  tolerance: 1e-4,
  seed: 7,
  prior: 4,
  shrinkage: "empirical-bayes" as Shrinkage,
  softness: 0.25,
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
  /**
   * Mean squared distance of a point to its nearest centroid at the last Lloyd pass, the scale of
   * soft assignment (0 until a pass has measured it).
   */
  spread?: number;
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
  const full: KMeansConfig = { ...KMEANS_DEFAULTS, tags: [], ...config };
  if (!Number.isInteger(full.clusters) || full.clusters < 1)
    throw new RangeError(`clusters must be >= 1, got ${full.clusters}`);
  if (full.shrinkage !== "empirical-bayes" && full.shrinkage !== "fixed")
    throw new RangeError(`shrinkage must be "empirical-bayes" or "fixed", got ${String(full.shrinkage)}`);
  if (!(full.prior >= 0 && Number.isFinite(full.prior)))
    throw new RangeError(`prior must be a non-negative number, got ${full.prior}`);
  if (!(full.softness >= 0 && Number.isFinite(full.softness)))
    throw new RangeError(`softness must be a non-negative number, got ${full.softness}`);
  if (new Set(full.tags).size !== full.tags.length) throw new RangeError("the tag vocabulary repeats a tag");
  return {
    config: full,
    phase: "lloyd",
    size: 1,
    pass: 0,
    lastError: Number.POSITIVE_INFINITY,
    centroids: new Float32Array(full.embedder.dimension),
  };
}

/**
 * The state with its clustering stopped where it is and the statistics pass next, so that the pass
 * after it leaves a router; a state past its clustering unchanged. Mid-split, the centroids are
 * still the clusters before the split: the statistics are gathered for those.
 */
export function kmeansLastPass(state: KMeansState): KMeansState {
  if (state.phase !== "lloyd" && state.phase !== "power") return state;
  const { splitting: _splitting, directions: _directions, ...rest } = state;
  return { ...rest, phase: "stats" };
}
