// Client-level DP for the K-means router: per-pass caps on each client's counts and sums (with
// unit-norm embeddings), and the suppression of (cluster, model) cells whose noised count is too
// small to publish.
//
// A pass's elements are measured in units before the clip, and the noise is the same in every
// unit. The clip bounds a client's whole vector whatever the units, so they are free to follow the
// typical size of a point's term rather than its bound. In units of their bound (4), the
// power-iteration sums drowned in noise 5 to 90 times their length (synthetic benchmark, 1,000
// clients, epsilon 8, hashing embedder), every split went along a random direction, and half the
// clusters ended empty.
import { STATS_PARTS } from "../kmeans/router.ts";
import { type KMeansConfig, type KMeansState, kmeansLastPass } from "../kmeans/state.ts";
import type { ContributionClip } from "./private-algorithm.ts";

/**
 * A cluster's sum of unit vectors grows as its count times its centroid's length: 0.25 to 0.97 in
 * the synthetic benchmark, LLMRouter's set and the RouterBench subset (hashing embedder, 1 to 4
 * clusters).
 */
const SUM_UNIT = 1 / 2;
/**
 * A point's power-iteration term ((x - c)·v)(x - c) is at most 4 long; a client's sum of them grows
 * as its count times the variance along v, 0.001 to 0.22 in the same measurements (mostly 0.02 to
 * 0.07): 1/16 keeps the count and the terms comparable in the clip.
 */
const POWER_UNIT = 1 / 16;
/** A squared distance between unit vectors is at most 4; it is one number per cluster. */
const SQUARED_ERROR_UNIT = 4;

export interface KMeansPrivacyOptions {
  /** L2 norm a client's pass is capped at, in points (each point counts 1, the other elements in their units). */
  readonly cap: number;
  /**
   * Public scale of a query's cost per model (its list price per query), in the order of the
   * router's models: each model's costs are noised in its own unit, so a cheap model's cost
   * survives the noise as well as a dear one's.
   */
  readonly costUnits: readonly number[];
  /**
   * Public typical length of a point in the space the clustering runs in: 1 for unit embeddings,
   * √(k/d) in a k-dimensional projection of d (kmeans-projection.ts). Sums of points are noised in
   * this unit and squared errors in 4 of its square, so a projected sum keeps its signal to noise.
   */
  readonly pointLength?: number;
  /** Dimensions the clustering runs in (a projection's; default: the embedder's). */
  readonly dimension?: number;
}

/** Each element's unit and the cap, for the pass the state is at. */
export function kmeansClip(
  state: KMeansState,
  length: number,
  options: KMeansPrivacyOptions,
): ContributionClip {
  const units = new Float64Array(length).fill(1);
  const point = options.pointLength ?? 1;
  const d = options.dimension ?? state.config.embedder.dimension;
  if (state.phase === "lloyd") {
    // [count, squared error, sum (d)] per cluster.
    for (let k = 0; k * (d + 2) < length; k++) {
      units.fill(SUM_UNIT * point, k * (d + 2) + 2, (k + 1) * (d + 2));
      units[k * (d + 2) + 1] = SQUARED_ERROR_UNIT * point * point;
    }
  } else if (state.phase === "power") {
    // [count, Σ ((x - c)·v)(x - c)] per splitting cluster.
    for (let s = 0; s * (d + 1) < length; s++)
      units.fill(POWER_UNIT * point * point, s * (d + 1) + 1, (s + 1) * (d + 1));
  } else {
    // [count, quality, cost, quality², cost²] blocks over cells (row-major over the models being
    // summed, the last `added` ones in an extend pass): qualities lie in [0, 1].
    const cells = length / STATS_PARTS;
    const models = state.config.models.length;
    const width = state.phase === "extend" ? (state.added ?? models) : models;
    for (let c = 0; c < cells; c++) {
      const unit = options.costUnits[models - width + (c % width)] ?? 1;
      units[2 * cells + c] = unit;
      units[4 * cells + c] = unit * unit;
    }
  }
  return { norm: options.cap, units };
}

/**
 * A statistics total with every cell whose noised count is below `minimum` emptied: the cell is
 * not published, and the router's shrinkage falls back to the coarser (the model's global) mean,
 * as it does for a cell no query reached. A model none of whose cells reaches the minimum keeps
 * its largest one, so that it still has a global statistic to fall back to (a choice made on noised
 * counts only, so it reveals nothing more). `models` is the cells' width (row-major cells).
 */
export function suppressSmallCells(total: Float64Array, minimum: number, models = 1): Float64Array {
  const cells = total.length / STATS_PARTS;
  const kept = new Set<number>();
  for (let j = 0; j < models; j++) {
    let largest = j;
    let any = false;
    for (let c = j; c < cells; c += models) {
      if (total[c]! > total[largest]!) largest = c;
      if (total[c]! >= minimum) any = true;
    }
    if (!any && total[largest]! > 0) kept.add(largest);
  }
  for (let c = 0; c < cells; c++) {
    if (total[c]! >= minimum || kept.has(c)) continue;
    for (let part = 0; part < STATS_PARTS; part++) total[part * cells + c] = 0;
  }
  return total;
}

/**
 * The most passes a K-means training can take, which the noise is calibrated for: one Lloyd pass at
 * size 1, then per doubling its power passes and up to lloydPasses Lloyd passes, then statistics.
 */
export function kmeansPlannedPasses(
  config: Pick<KMeansConfig, "clusters" | "lloydPasses" | "powerPasses">,
): number {
  const doublings = Math.ceil(Math.log2(Math.max(1, config.clusters)));
  return 1 + doublings * (config.powerPasses + config.lloydPasses) + 1;
}

/**
 * The state after `passesCharged` passes of a training planned for `plannedPasses`: when only the
 * statistics pass is left in the plan, the clustering stops at its current size and the statistics
 * pass comes next (how many bisections run depends on the data, so the plan alone cannot bound it).
 */
export function kmeansWithinPlan(
  next: KMeansState,
  passesCharged: number,
  plannedPasses: number,
): KMeansState {
  return passesCharged < plannedPasses - 1 ? next : kmeansLastPass(next);
}
