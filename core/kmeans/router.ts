// The K-means router (the paper's nonparametric router): route a query by its nearest centroid,
// predicting each model's quality and cost from that cluster's observed evaluations, each sparse
// cell shrunk toward a coarser estimate (estimates.ts). With a tag vocabulary, the statistics are
// kept per (cluster, tag slot, model) so that a tagged query reads its tags' cells.

import type { EvaluationSet } from "../data/evaluations.ts";
import type { BatchPrediction } from "../prediction.ts";
import { embeddingColumns } from "../routers/tags.ts";
import type { Prediction } from "../routing.ts";
import { type KMeansEstimates, routerEstimates } from "./estimates.ts";
import { nearestCentroid } from "./geometry.ts";
import { rowTags, tagSlots } from "./tags.ts";
import type { ClusterStats, KMeansRouter } from "./trained.ts";

/** The parts of the statistics pass, each one value per cell. */
export const STATS_PARTS = 5;

export type { ClusterStats, KMeansRouter } from "./trained.ts";

/**
 * One client's statistics contribution, [count, quality sums, cost sums, quality squares, cost
 * squares], each over (row, model) cells. `set` rows are the embedding and `tagCount` indicators.
 * With `set.weight`, each observation counts with its weight (counts are then weighted counts).
 */
export function statsSums(
  set: EvaluationSet,
  centroids: Float32Array,
  clusterCount: number,
  /** The model columns to sum (default all); the layout then has one cell per listed model. */
  columns?: readonly number[],
  tagCount = 0,
): Float64Array {
  const { n, modelCount: m } = set;
  const dimension = set.dimension - tagCount;
  const embeddings = embeddingColumns(set.features, dimension + tagCount, dimension);
  const models = columns ?? Array.from({ length: m }, (_, j) => j);
  const width = models.length;
  const slots = tagSlots(tagCount);
  const cells = clusterCount * slots * width;
  const sums = new Float64Array(STATS_PARTS * cells);
  for (let q = 0; q < n; q++) {
    const { cluster } = nearestCentroid(embeddings, q, centroids, clusterCount, dimension);
    const tags = rowTags(set.features, q, dimension, tagCount);
    const querySlots = tags.length > 0 ? tags.map((t) => t + 1) : [0];
    for (const slot of querySlots) {
      for (const [column, j] of models.entries()) {
        if (!set.observed[q * m + j]) continue;
        const cell = (cluster * slots + slot) * width + column;
        const quality = set.quality[q * m + j]!;
        const cost = set.cost[q * m + j]!;
        // An inverse-propensity weight makes each cell's mean the self-normalised IPS estimate.
        const w = set.weight ? set.weight[q * m + j]! : 1;
        sums[cell]! += w;
        sums[cells + cell]! += w * quality;
        sums[2 * cells + cell]! += w * cost;
        sums[3 * cells + cell]! += w * quality * quality;
        sums[4 * cells + cell]! += w * cost * cost;
      }
    }
  }
  return sums;
}

/**
 * Widens statistics sums from `oldModels` to `oldModels + added` columns, placing the added
 * columns' sums (laid out as statsSums with `columns`) after the old ones. `rows` is clusters
 * times tag slots.
 */
export function mergeStatsColumns(
  old: Float64Array,
  added: Float64Array,
  rows: number,
  oldModels: number,
  addedModels: number,
): Float64Array {
  const width = oldModels + addedModels;
  const merged = new Float64Array(STATS_PARTS * rows * width);
  for (let part = 0; part < STATS_PARTS; part++) {
    for (let k = 0; k < rows; k++) {
      for (let j = 0; j < oldModels; j++) {
        merged[part * rows * width + k * width + j] = old[part * rows * oldModels + k * oldModels + j]!;
      }
      for (let j = 0; j < addedModels; j++) {
        merged[part * rows * width + k * width + oldModels + j] =
          added[part * rows * addedModels + k * addedModels + j]!;
      }
    }
  }
  return merged;
}

/** The sums split into their parts; `rows` is clusters times tag slots. */
export function statsFromSums(sums: Float64Array, rows: number, modelCount: number): ClusterStats {
  const cells = rows * modelCount;
  if (sums.length !== STATS_PARTS * cells)
    throw new RangeError(`statistics vector has ${sums.length} entries, expected ${STATS_PARTS * cells}`);
  return {
    count: sums.slice(0, cells),
    qualitySum: sums.slice(cells, 2 * cells),
    costSum: sums.slice(2 * cells, 3 * cells),
    qualitySquares: sums.slice(3 * cells, 4 * cells),
    costSquares: sums.slice(4 * cells),
  };
}

/** Cluster weights of one query: its nearest cluster, or a soft mixture (KMeansRouter.softness). */
function clusterWeights(router: KMeansRouter, embeddings: Float32Array, row: number): Map<number, number> {
  const { clusterCount, dimension, centroids } = router;
  const softness = router.softness ?? 0;
  const spread = router.spread ?? 0;
  if (!(softness > 0 && spread > 0)) {
    return new Map([[nearestCentroid(embeddings, row, centroids, clusterCount, dimension).cluster, 1]]);
  }
  const distances = new Float64Array(clusterCount);
  let nearest = Number.POSITIVE_INFINITY;
  for (let k = 0; k < clusterCount; k++) {
    let d = 0;
    for (let i = 0; i < dimension; i++)
      d += (embeddings[row * dimension + i]! - centroids[k * dimension + i]!) ** 2;
    distances[k] = d;
    nearest = Math.min(nearest, d);
  }
  const weights = new Map<number, number>();
  let total = 0;
  for (let k = 0; k < clusterCount; k++) {
    const w = Math.exp(-(distances[k]! - nearest) / (softness * spread));
    // Clusters beyond e^-12 of the nearest add nothing measurable.
    if (w < 6e-6) continue;
    weights.set(k, w);
    total += w;
  }
  for (const [k, w] of weights) weights.set(k, w / total);
  return weights;
}

/** One query's prediction from its cluster weights and tags, read off the estimates. */
function predictFrom(
  estimates: KMeansEstimates,
  weights: Map<number, number>,
  tags: readonly number[],
  m: number,
): Prediction {
  const quality = new Float64Array(m);
  const cost = new Float64Array(m);
  const available = new Uint8Array(m);
  for (const [k, w] of weights) {
    const cell = estimates.cell(k, tags);
    for (let j = 0; j < m; j++) {
      quality[j]! += w * cell.quality[j]!;
      cost[j]! += w * cell.cost[j]!;
      if (cell.available[j]) available[j] = 1;
    }
  }
  return { quality, cost, available };
}

/**
 * Predictions for one query (row `row` of a feature matrix whose rows are the embedding and the
 * tag indicators). A model no cell of the query's clusters could estimate is unavailable, so it is
 * never chosen (with empirical Bayes every model observed anywhere is estimable).
 */
export function predictKMeans(router: KMeansRouter, features: Float32Array, row = 0): Prediction {
  const tagCount = router.tagCount ?? 0;
  const estimates = routerEstimates(router);
  if (tagCount === 0)
    return predictFrom(estimates, clusterWeights(router, features, row), [], router.modelCount);
  const embeddings = features.subarray(
    row * (router.dimension + tagCount),
    row * (router.dimension + tagCount) + router.dimension,
  );
  return predictFrom(
    estimates,
    clusterWeights(router, embeddings, 0),
    rowTags(features, row, router.dimension, tagCount),
    router.modelCount,
  );
}

/** Row-major predictions for every query of a feature matrix (for evaluation). */
export function predictKMeansBatch(
  router: KMeansRouter,
  features: Float32Array,
): BatchPrediction & { available: Uint8Array } {
  const n = features.length / (router.dimension + (router.tagCount ?? 0));
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
