// What a trained K-means router predicts per cell, computed once from its statistics: each
// cluster's (and, with tags, each tag's and each (cluster, tag)'s) mean quality and cost per model,
// shrunk along a hierarchy (model mean <- tag mean <- (cluster, tag) mean; model mean <- cluster
// mean for untagged queries) so that a cell with a handful of evaluations leans on the coarser mean.

import { type CellTable, shrinkTable } from "./shrinkage.ts";
import { tagSlots } from "./tags.ts";
import type { ClusterStats, KMeansRouter } from "./trained.ts";

/** Per model: estimated quality and cost, and whether the estimate may be routed to. */
export interface CellEstimate {
  quality: Float64Array;
  cost: Float64Array;
  available: Uint8Array;
}

export interface KMeansEstimates {
  /** The estimate for a query in cluster `cluster` carrying the vocabulary tags `tags`. */
  cell(cluster: number, tags: readonly number[]): CellEstimate;
  /** The pseudo-counts used per model at each level, for reports and tests. */
  strengths: { quality: LevelStrengths; cost: LevelStrengths };
}

/** Per model, the pseudo-count of each level (cluster, tag, (cluster, tag) within tag). */
export interface LevelStrengths {
  cluster: Float64Array;
  tag: Float64Array;
  crossed: Float64Array;
}

/** Sums of one part over cells mapped to coarser cells: out[map(row)] += rows' values, per model. */
function marginal(
  values: Float64Array,
  rows: number,
  m: number,
  target: (row: number) => number,
  size: number,
) {
  const out = new Float64Array(size * m);
  for (let r = 0; r < rows; r++) {
    const to = target(r);
    if (to < 0) continue;
    for (let j = 0; j < m; j++) out[to * m + j]! += values[r * m + j]!;
  }
  return out;
}

interface Level {
  count: Float64Array;
  sum: Float64Array;
  squares: Float64Array;
}

function level(
  stats: ClusterStats,
  part: "quality" | "cost",
  target: (row: number) => number,
  rows: number,
  size: number,
  m: number,
): Level {
  const sum = part === "quality" ? stats.qualitySum : stats.costSum;
  const squares =
    (part === "quality" ? stats.qualitySquares : stats.costSquares) ?? new Float64Array(sum.length);
  return {
    count: marginal(stats.count, rows, m, target, size),
    sum: marginal(sum, rows, m, target, size),
    squares: marginal(squares, rows, m, target, size),
  };
}

const cache = new WeakMap<KMeansRouter, KMeansEstimates>();

/** The router's estimates (computed once per router object). */
export function routerEstimates(router: KMeansRouter): KMeansEstimates {
  const cached = cache.get(router);
  if (cached) return cached;
  const estimates = computeEstimates(router);
  cache.set(router, estimates);
  return estimates;
}

function computeEstimates(router: KMeansRouter): KMeansEstimates {
  const { clusterCount: K, modelCount: m, stats } = router;
  const T = router.tagCount ?? 0;
  const S = tagSlots(T);
  const rows = K * S;
  // Old router files carry no squares: they keep their fixed pseudo-count.
  const empirical = (router.shrinkage ?? "fixed") === "empirical-bayes" && stats.qualitySquares !== undefined;
  const fixed = empirical ? undefined : router.prior;
  /** `values` (one per model) repeated for `size` rows. */
  const repeat = (values: Float64Array, size: number, row: (r: number) => number = (r) => r) =>
    Float64Array.from({ length: size * m }, (_, c) => values[row(Math.floor(c / m)) * m + (c % m)]!);
  const table = (level: Level, size: number): CellTable => ({ rows: size, models: m, ...level });

  const parts = (["quality", "cost"] as const).map((part) => {
    const overall = level(stats, part, () => 0, rows, 1, m);
    const clusters = level(stats, part, (r) => Math.floor(r / S), rows, K, m);
    const tags = level(stats, part, (r) => (r % S) - 1, rows, T, m);
    const crossed = level(
      stats,
      part,
      (r) => (r % S === 0 ? -1 : Math.floor(r / S) * T + (r % S) - 1),
      rows,
      K * T,
      m,
    );
    const mean = new Float64Array(m);
    for (let j = 0; j < m; j++) mean[j] = overall.count[j]! > 0 ? overall.sum[j]! / overall.count[j]! : 0;
    const clusterLevel = shrinkTable(
      table(clusters, K),
      repeat(mean, K, () => 0),
      fixed,
    );
    const tagLevel = shrinkTable(
      table(tags, T),
      repeat(mean, T, () => 0),
      fixed,
    );
    const crossedLevel = shrinkTable(
      table(crossed, K * T),
      repeat(tagLevel.mean, K * T, (r) => r % T),
      fixed,
    );
    const strengths: LevelStrengths = {
      cluster: clusterLevel.strength,
      tag: tagLevel.strength,
      crossed: crossedLevel.strength,
    };
    return {
      overall,
      clusters,
      tags,
      crossed,
      strengths,
      mean,
      clusterMean: clusterLevel.mean,
      crossedMean: crossedLevel.mean,
    };
  });
  const [quality, cost] = parts as [(typeof parts)[0], (typeof parts)[0]];
  const observed = (count: Float64Array, at: number, j: number) => count[at * m + j]! > 0;
  const modelObserved = (j: number) => observed(quality.overall.count, 0, j);

  function cell(k: number, tagList: readonly number[]): CellEstimate {
    const out: CellEstimate = {
      quality: new Float64Array(m),
      cost: new Float64Array(m),
      available: new Uint8Array(m),
    };
    let any = false;
    for (let j = 0; j < m; j++) {
      if (tagList.length === 0) {
        out.quality[j] = quality.clusterMean[k * m + j]!;
        out.cost[j] = cost.clusterMean[k * m + j]!;
        out.available[j] = empirical
          ? modelObserved(j)
            ? 1
            : 0
          : observed(quality.clusters.count, k, j)
            ? 1
            : 0;
      } else {
        for (const t of tagList) {
          out.quality[j]! += quality.crossedMean[(k * T + t) * m + j]! / tagList.length;
          out.cost[j]! += cost.crossedMean[(k * T + t) * m + j]! / tagList.length;
          const seen = empirical
            ? modelObserved(j)
            : observed(quality.crossed.count, k * T + t, j) || observed(quality.tags.count, t, j);
          if (seen) out.available[j] = 1;
        }
      }
      if (out.available[j]) any = true;
    }
    // A cluster with no observed cell at all: the model-wide means stand in.
    if (!any) {
      for (let j = 0; j < m; j++) {
        out.quality[j] = quality.mean[j]!;
        out.cost[j] = cost.mean[j]!;
        out.available[j] = modelObserved(j) ? 1 : 0;
      }
    }
    return out;
  }
  return { cell, strengths: { quality: quality.strengths, cost: cost.strengths } };
}
