// A trained K-means router's data: its centroids and summed cell statistics, and how it reads them
// (the estimates built from them live in estimates.ts, routing in router.ts).
import type { Shrinkage } from "./shrinkage.ts";

/**
 * Per cell sums over observed evaluations: what the statistics pass aggregates. A cell is a
 * (row, model) pair, a row a (cluster, tag slot) pair (row = cluster * slots + slot): slot 0 holds
 * the queries without a vocabulary tag, slot 1 + t those carrying tag t (a query with several tags
 * counts once in each). Without a vocabulary there is one slot, and rows are clusters.
 */
export interface ClusterStats {
  count: Float64Array;
  qualitySum: Float64Array;
  costSum: Float64Array;
  /** Sums of squares, from which the shrinkage's noise is estimated (absent in old router files). */
  qualitySquares?: Float64Array;
  costSquares?: Float64Array;
}

export interface KMeansRouter {
  /** The embedding's dimension; a feature row is the embedding and then `tagCount` indicators. */
  dimension: number;
  clusterCount: number;
  modelCount: number;
  centroids: Float32Array;
  stats: ClusterStats;
  /** Pseudo-count pulling a sparse cell's mean towards the coarser mean, with "fixed" shrinkage. */
  prior: number;
  /** Default "fixed". */
  shrinkage?: Shrinkage;
  /** The federation's vocabulary size (default 0). */
  tagCount?: number;
  /**
   * Soft assignment at routing: a query's prediction mixes clusters with weights
   * exp(-(distance^2 - nearest^2) / (softness * spread)), spread being the clustering's mean squared
   * distance of a point to its centroid; 0 (default): its nearest cluster only.
   */
  softness?: number;
  spread?: number;
}
