// Per-model cost normalisation: the cost head predicts c = clamp((log1p(cost) - mu) / sigma, -3, 3).
// mu and sigma come from sums of log1p(cost) over observed cells, so they aggregate federatedly.
import type { MlpTrainingSet } from "./training-set.ts";

export const COST_CLAMP = 3;
/**
 * Floor on sigma, relative to mu: a model with one observed cost (or all equal) must not divide
 * by zero. It is relative because per-query costs are often 1e-5..1e-2 USD with spreads of
 * 1e-5..1e-3: an absolute floor of 1e-3 made every normalised target about 0, so the cost head
 * learned nothing and its noise (times the floor) drove cheap models' predictions to 0 USD.
 */
export const MIN_RELATIVE_COST_SIGMA = 1e-3;
/** Absolute floor under the relative one, for models whose costs are all 0. */
export const MIN_COST_SIGMA = 1e-12;

export interface CostStats {
  mu: Float64Array;
  sigma: Float64Array;
  /**
   * Observed cells per model behind mu and sigma. A model nobody observed has no statistics (mu 0,
   * sigma 1 stand in) and an untrained head, so a router does not predict it. Absent in files
   * written before counts were kept: every model counts as observed.
   */
  count?: Float64Array;
}

/** 1 for each model the statistics were estimated from, 0 for a model nobody observed. */
export function observedModels(stats: CostStats, modelCount: number): Uint8Array {
  return Uint8Array.from({ length: modelCount }, (_, j) => (stats.count ? (stats.count[j]! > 0 ? 1 : 0) : 1));
}

/**
 * The sums travel through secure aggregation as fixed-point numbers whose resolution (about
 * 1e-5 with a clipping range of ±1024 and ten clients) is far above a cheap model's sum of
 * squared per-query costs (1e-10 per record at 1e-5 USD): sent once, those sums round to noise.
 * So each sum is sent at several scales; finalise reads the largest scale whose total stays
 * below 1/2, where it is resolved to about 1e-3 relative. A client caps its scaled sums at 1
 * (`capScaledSums`): a scale its own part already overflows is then never read (sums of
 * non-negative terms never fall below a part), and nothing exceeds a clipping range of ±1.
 */
export const COST_SUM_SCALES = [1, 1e2, 1e4, 1e6, 1e8, 1e10, 1e12] as const;
/** Entries per model in a cost-sums block: the count, then sum and sum of squares per scale. */
export const COST_SUMS_PER_MODEL = 1 + 2 * COST_SUM_SCALES.length;

/** Adds one observed cost of model `j` (of `m`) to a cost-sums block laid out as below. */
export function addCostObservation(sums: Float64Array, m: number, j: number, cost: number): void {
  const y = Math.log1p(Math.max(0, cost));
  sums[j]! += 1;
  COST_SUM_SCALES.forEach((scale, k) => {
    sums[(1 + 2 * k) * m + j]! += y * scale;
    sums[(2 + 2 * k) * m + j]! += y * y * scale;
  });
}

/** Caps the scaled entries of a cost-sums block of `m` models at 1 (see COST_SUM_SCALES). */
export function capScaledSums(sums: Float64Array, m: number): Float64Array {
  for (let i = 3 * m; i < COST_SUMS_PER_MODEL * m; i++) sums[i] = Math.min(1, sums[i]!);
  return sums;
}

/**
 * One client's sums: [count (M), then for each scale s: sum of s * log1p(cost) (M), sum of
 * s * log1p(cost)^2 (M)].
 */
export function costStatsContribution(set: MlpTrainingSet): Float64Array {
  const m = set.modelCount;
  const sums = new Float64Array(COST_SUMS_PER_MODEL * m);
  for (let q = 0; q < set.n; q++) {
    for (let j = 0; j < m; j++) {
      if (set.observed[q * m + j]) addCostObservation(sums, m, j, set.cost[q * m + j]!);
    }
  }
  return capScaledSums(sums, m);
}

/** The best-resolved unscaled sum of model j: entry `moment` (1 sum, 2 squares) of the block. */
function resolvedSum(total: Float64Array, m: number, j: number, moment: 1 | 2): number {
  let best = total[moment * m + j]!;
  COST_SUM_SCALES.forEach((scale, k) => {
    const scaled = total[(moment + 2 * k) * m + j]!;
    if (Math.abs(scaled) < 0.5) best = scaled / scale;
  });
  return best;
}

/** mu, sigma and counts per model from the summed contributions; an unseen model gets mu 0, sigma 1. */
export function costStatsFromTotals(total: Float64Array): CostStats {
  if (total.length % COST_SUMS_PER_MODEL !== 0)
    throw new RangeError(`cost sums have ${total.length} entries, not ${COST_SUMS_PER_MODEL}M`);
  const m = total.length / COST_SUMS_PER_MODEL;
  const mu = new Float64Array(m);
  const sigma = new Float64Array(m).fill(1);
  const counts = Float64Array.from(total.subarray(0, m), (c) => Math.max(0, c));
  for (let j = 0; j < m; j++) {
    const count = counts[j]!;
    if (count <= 0) continue;
    mu[j] = resolvedSum(total, m, j, 1) / count;
    const variance = Math.max(0, resolvedSum(total, m, j, 2) / count - mu[j]! ** 2);
    sigma[j] = Math.max(MIN_COST_SIGMA, MIN_RELATIVE_COST_SIGMA * Math.abs(mu[j]!), Math.sqrt(variance));
  }
  return { mu, sigma, count: counts };
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
