// Per-model cost normalisation: the cost head predicts c = clamp((log1p(cost) - mu) / sigma, -3, 3).
// mu and sigma come from sums of log1p(cost) over observed cells, so they aggregate federatedly.
import type { MlpTrainingSet } from "./training-set.ts";

export const COST_CLAMP = 3;
/** Floor on sigma: a model with one observed cost (or all equal) must not divide by zero. */
export const MIN_COST_SIGMA = 1e-3;

export interface CostStats {
  mu: Float64Array;
  sigma: Float64Array;
}

/** One client's sums: [count (M), sum of log1p(cost) (M), sum of squares (M)]. */
export function costStatsContribution(set: MlpTrainingSet): Float64Array {
  const m = set.modelCount;
  const sums = new Float64Array(3 * m);
  for (let q = 0; q < set.n; q++) {
    for (let j = 0; j < m; j++) {
      if (!set.observed[q * m + j]) continue;
      const y = Math.log1p(Math.max(0, set.cost[q * m + j]!));
      sums[j]! += 1;
      sums[m + j]! += y;
      sums[2 * m + j]! += y * y;
    }
  }
  return sums;
}

/** mu and sigma per model from the summed contributions; an unseen model gets mu 0, sigma 1. */
export function costStatsFromTotals(total: Float64Array): CostStats {
  if (total.length % 3 !== 0) throw new RangeError(`cost sums have ${total.length} entries, not 3M`);
  const m = total.length / 3;
  const mu = new Float64Array(m);
  const sigma = new Float64Array(m).fill(1);
  for (let j = 0; j < m; j++) {
    const count = total[j]!;
    if (count <= 0) continue;
    mu[j] = total[m + j]! / count;
    const variance = Math.max(0, total[2 * m + j]! / count - mu[j]! ** 2);
    sigma[j] = Math.max(MIN_COST_SIGMA, Math.sqrt(variance));
  }
  return { mu, sigma };
}

export function normaliseCost(cost: number, mu: number, sigma: number): number {
  const c = (Math.log1p(Math.max(0, cost)) - mu) / sigma;
  return Math.min(COST_CLAMP, Math.max(-COST_CLAMP, c));
}

/** Predicted USD from the cost head's output (clamped as the targets were), floored at 0. */
export function denormaliseCost(c: number, mu: number, sigma: number): number {
  const clamped = Math.min(COST_CLAMP, Math.max(-COST_CLAMP, c));
  return Math.max(0, Math.expm1(clamped * sigma + mu));
}
