// Which decoded totals a pass of federated K-means accepts before the edge finalises them: what the
// sums of honest clients satisfy. Points are at most MAX_FEATURE_NORM long (the contribution scales
// longer ones down), qualities lie in [0, 1] and costs are at least 0 (the SDK's record() refuses
// others), and every count is a whole number. So a cluster's vector sum is no longer than its
// count, a point lies within (1 + |c|) of a centroid c, and a cell's quality sum within its count.
import type { TotalContext } from "../routers/kind.ts";
import { checkBetween, checkCount, checkFinite, checkNorm, sliceNorm } from "../routers/total-checks.ts";
import { MAX_FEATURE_NORM } from "./geometry.ts";
import type { KMeansState } from "./state.ts";
import { statsRows } from "./tags.ts";

/** The norm of row `row` of a flat matrix with `dimension` columns. */
function rowNorm(matrix: Float32Array, row: number, dimension: number): number {
  return sliceNorm(matrix, row * dimension, dimension);
}

/** Lloyd sums per cluster: [count, squared error, vector sum (d)]. */
function checkLloyd(state: KMeansState, total: Float64Array, context: TotalContext): string | undefined {
  const d = state.config.embedder.dimension;
  const stride = d + 2;
  for (let k = 0; k < state.size; k++) {
    const count = total[k * stride]!;
    const counted = checkCount(count, `cluster ${k}'s count`, context);
    if (counted) return counted;
    const most = count + context.resolution;
    // |x - c|^2 <= (|x| + |c|)^2 for every point x the cluster summed.
    const reach = (MAX_FEATURE_NORM + rowNorm(state.centroids, k, d)) ** 2;
    const error = checkBetween(
      total[k * stride + 1]!,
      0,
      most * reach,
      `cluster ${k}'s squared error`,
      context,
    );
    if (error) return error;
    const norm = sliceNorm(total, k * stride + 2, d);
    const sum = checkNorm(norm, d, most * MAX_FEATURE_NORM, `cluster ${k}'s vector sum`, context);
    if (sum) return sum;
  }
  return undefined;
}

/** Power sums per splitting cluster: [count, sum of ((x - c) . v) (x - c)], each term at most |x - c|^2 |v| long. */
function checkPower(state: KMeansState, total: Float64Array, context: TotalContext): string | undefined {
  const d = state.config.embedder.dimension;
  const splitting = state.splitting ?? [];
  for (const [s, k] of splitting.entries()) {
    const count = total[s * (d + 1)]!;
    const counted = checkCount(count, `splitting cluster ${k}'s count`, context);
    if (counted) return counted;
    const reach = (MAX_FEATURE_NORM + rowNorm(state.centroids, k, d)) ** 2;
    const direction = state.directions ? rowNorm(state.directions, s, d) : 0;
    const bound = (count + context.resolution) * reach * direction;
    const norm = sliceNorm(total, s * (d + 1) + 1, d);
    const sum = checkNorm(norm, d, bound, `splitting cluster ${k}'s power sum`, context);
    if (sum) return sum;
  }
  return undefined;
}

/**
 * Statistics of `cells` (row, model) cells: [counts, quality sums, cost sums, quality squares, cost
 * squares]. A quality in [0, 1] has its square in [0, its value]; a cost's square is at least 0.
 * Counts are weighted counts (routed evaluations weigh their inverse propensity, core/exploration.ts),
 * so they need not be whole: a cell's mean stays in [0, 1] because its quality sum is at most its count.
 */
function checkStats(total: Float64Array, cells: number, context: TotalContext): string | undefined {
  for (let cell = 0; cell < cells; cell++) {
    const count = total[cell]!;
    const qualitySum = total[cells + cell]!;
    const refusal =
      checkBetween(count, 0, Number.POSITIVE_INFINITY, `cell ${cell}'s count`, context) ??
      checkBetween(qualitySum, 0, count + context.resolution, `cell ${cell}'s quality sum`, context) ??
      checkBetween(
        total[2 * cells + cell]!,
        0,
        Number.POSITIVE_INFINITY,
        `cell ${cell}'s cost sum`,
        context,
      ) ??
      checkBetween(
        total[3 * cells + cell]!,
        0,
        qualitySum + context.resolution,
        `cell ${cell}'s quality squares`,
        context,
      ) ??
      checkBetween(
        total[4 * cells + cell]!,
        0,
        Number.POSITIVE_INFINITY,
        `cell ${cell}'s cost squares`,
        context,
      );
    if (refusal) return refusal;
  }
  return undefined;
}

/** A refusal when `total` cannot be the sum of honest contributions to `state`'s pass. */
export function checkKMeansTotal(
  state: KMeansState,
  total: Float64Array,
  context: TotalContext,
): string | undefined {
  const finite = checkFinite(total);
  if (finite) return finite;
  const models = state.config.models.length;
  if (state.phase === "lloyd") return checkLloyd(state, total, context);
  if (state.phase === "power") return checkPower(state, total, context);
  if (state.phase === "extend") return checkStats(total, statsRows(state) * (state.added ?? 0), context);
  if (state.phase === "stats" || state.phase === "join")
    return checkStats(total, statsRows(state) * models, context);
  return undefined;
}
