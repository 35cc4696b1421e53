// The K-means router (the paper's nonparametric router): route a query by its nearest
// centroid, predicting each model's quality and cost from that cluster's observed evaluations.

import type { EvaluationSet } from "../data/evaluations.ts";
import type { BatchPrediction } from "../prediction.ts";
import type { Prediction } from "../routing.ts";
import { nearestCentroid } from "./geometry.ts";

/** Per (cluster, model) sums over observed cells: what the statistics pass aggregates. */
export interface ClusterStats {
  count: Float64Array;
  qualitySum: Float64Array;
  costSum: Float64Array;
}

export interface KMeansRouter {
  /** The embedding's dimension: the clustering's space. */
  dimension: number;
  /** Tag indicators after the embedding in each input row (core/routers/tags.ts); absent: none. */
  tagCount?: number;
  clusterCount: number;
  modelCount: number;
  centroids: Float32Array;
  stats: ClusterStats;
  /** Pseudo-count pulling a sparse cell's mean towards the model's overall mean. */
  prior: number;
}

/** Layout of the statistics contribution: [count (K*M), quality sums (K*M), cost sums (K*M)]. */
export function statsSums(
  set: EvaluationSet,
  centroids: Float32Array,
  clusterCount: number,
  /** The model columns to sum (default all); the layout then has one cell per listed model. */
  columns?: readonly number[],
): Float64Array {
  const { n, dimension, modelCount: m } = set;
  const models = columns ?? Array.from({ length: m }, (_, j) => j);
  const width = models.length;
  const cells = clusterCount * width;
  const sums = new Float64Array(3 * cells);
  for (let q = 0; q < n; q++) {
    const { cluster } = nearestCentroid(set.features, q, centroids, clusterCount, dimension);
    for (const [slot, j] of models.entries()) {
      if (!set.observed[q * m + j]) continue;
      const cell = cluster * width + slot;
      sums[cell]! += 1;
      sums[cells + cell]! += set.quality[q * m + j]!;
      sums[2 * cells + cell]! += set.cost[q * m + j]!;
    }
  }
  return sums;
}

/**
 * Widens statistics sums from `oldModels` to `oldModels + added` columns, placing the added
 * columns' sums (laid out as statsSums with `columns`) after the old ones.
 */
export function mergeStatsColumns(
  old: Float64Array,
  added: Float64Array,
  clusterCount: number,
  oldModels: number,
  addedModels: number,
): Float64Array {
  const width = oldModels + addedModels;
  const merged = new Float64Array(3 * clusterCount * width);
  for (let part = 0; part < 3; part++) {
    for (let k = 0; k < clusterCount; k++) {
      for (let j = 0; j < oldModels; j++) {
        merged[part * clusterCount * width + k * width + j] =
          old[part * clusterCount * oldModels + k * oldModels + j]!;
      }
      for (let j = 0; j < addedModels; j++) {
        merged[part * clusterCount * width + k * width + oldModels + j] =
          added[part * clusterCount * addedModels + k * addedModels + j]!;
      }
    }
  }
  return merged;
}

export function statsFromSums(sums: Float64Array, clusterCount: number, modelCount: number): ClusterStats {
  const cells = clusterCount * modelCount;
  if (sums.length !== 3 * cells)
    throw new RangeError(`statistics vector has ${sums.length} entries, expected ${3 * cells}`);
  return {
    count: sums.slice(0, cells),
    qualitySum: sums.slice(cells, 2 * cells),
    costSum: sums.slice(2 * cells),
  };
}

/**
 * Predictions for one query. A (cluster, model) cell never observed is unavailable, so it is
 * never chosen; if a cluster has no observed cell at all the model-wide means stand in.
 */
export function predictKMeans(router: KMeansRouter, features: Float32Array, row = 0): Prediction {
  const { clusterCount, modelCount: m, dimension, stats, prior } = router;
  // A row is the embedding and then the tag indicators; the clustering reads the embedding.
  const start = row * (dimension + (router.tagCount ?? 0));
  const embedding = features.subarray(start, start + dimension);
  const { cluster } = nearestCentroid(embedding, 0, router.centroids, clusterCount, dimension);
  const overall = overallMeans(router);
  const quality = new Float64Array(m);
  const cost = new Float64Array(m);
  const available = new Uint8Array(m);
  let any = false;
  for (let j = 0; j < m; j++) {
    const cell = cluster * m + j;
    const count = stats.count[cell]!;
    if (count > 0) {
      quality[j] = (stats.qualitySum[cell]! + prior * overall.quality[j]!) / (count + prior);
      cost[j] = (stats.costSum[cell]! + prior * overall.cost[j]!) / (count + prior);
      available[j] = 1;
      any = true;
    }
  }
  if (!any) {
    for (let j = 0; j < m; j++) {
      quality[j] = overall.quality[j]!;
      cost[j] = overall.cost[j]!;
      available[j] = overall.count[j]! > 0 ? 1 : 0;
    }
  }
  return { quality, cost, available };
}

const overallCache = new WeakMap<
  ClusterStats,
  { quality: Float64Array; cost: Float64Array; count: Float64Array }
>();

/** Per-model means over all clusters (cached per statistics object). */
export function overallMeans(router: KMeansRouter): {
  quality: Float64Array;
  cost: Float64Array;
  count: Float64Array;
} {
  const cached = overallCache.get(router.stats);
  if (cached) return cached;
  const { clusterCount, modelCount: m, stats } = router;
  const quality = new Float64Array(m);
  const cost = new Float64Array(m);
  const count = new Float64Array(m);
  for (let k = 0; k < clusterCount; k++) {
    for (let j = 0; j < m; j++) {
      count[j]! += stats.count[k * m + j]!;
      quality[j]! += stats.qualitySum[k * m + j]!;
      cost[j]! += stats.costSum[k * m + j]!;
    }
  }
  for (let j = 0; j < m; j++) {
    quality[j] = count[j]! > 0 ? quality[j]! / count[j]! : 0;
    cost[j] = count[j]! > 0 ? cost[j]! / count[j]! : 0;
  }
  const means = { quality, cost, count };
  overallCache.set(router.stats, means);
  return means;
}

/** Row-major predictions for every query of a feature matrix (for evaluation). */
export function predictKMeansBatch(
  router: KMeansRouter,
  features: Float32Array,
): BatchPrediction & { available: Uint8Array } {
  const width = router.dimension + (router.tagCount ?? 0);
  const n = features.length / width;
  if (!Number.isInteger(n))
    throw new RangeError(`features hold ${features.length} values, not rows of ${width}`);
  const m = router.modelCount;
  const quality = new Float64Array(n * m);
  const cost = new Float64Array(n * m);
  const available = new Uint8Array(n * m);
  for (let q = 0; q < n; q++) {
    const p = predictKMeans(router, features, q);
    quality.set(p.quality as Float64Array, q * m);
    cost.set(p.cost as Float64Array, q * m);
    available.set(p.available as Uint8Array, q * m);
  }
  return { quality, cost, available };
}
