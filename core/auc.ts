// The paper's evaluation: sweep lambda, score each lambda's choices with the true quality and
// cost, and take the normalised area under the resulting accuracy-cost curve.
import { chooseByLambda } from "./routing.ts";

/** 100 log-spaced lambdas in [1e-2, 1e7], as in the paper. */
export function lambdaGrid(count = 100, from = 1e-2, to = 1e7): Float64Array {
  const grid = new Float64Array(count);
  const a = Math.log10(from);
  const b = Math.log10(to);
  for (let i = 0; i < count; i++) grid[i] = 10 ** (a + ((b - a) * i) / Math.max(1, count - 1));
  return grid;
}

export interface CurvePoint {
  lambda: number;
  /** Mean true cost (USD) of the chosen models. */
  cost: number;
  /** Mean true quality of the chosen models. */
  quality: number;
}

/**
 * Normalised AUC of points: sort by cost, integrate quality over cost with the trapezoid rule
 * and divide by the cost range. A curve with a single distinct cost has AUC equal to its quality.
 */
export function normalisedAuc(points: readonly { cost: number; quality: number }[]): number {
  if (points.length === 0) throw new RangeError("AUC of an empty curve");
  const sorted = [...points].sort((a, b) => a.cost - b.cost || a.quality - b.quality);
  const first = sorted[0]!;
  const last = sorted[sorted.length - 1]!;
  const range = last.cost - first.cost;
  if (!(range > 0)) return sorted.reduce((s, p) => s + p.quality, 0) / sorted.length;
  let area = 0;
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    area += ((b.cost - a.cost) * (a.quality + b.quality)) / 2;
  }
  return area / range;
}

/**
 * The accuracy-cost curve of a router on a test set. `predicted*` are the router's row-major
 * [query][model] predictions; `true*` the test set's full labels.
 */
export function accuracyCostCurve(
  predictedQuality: Float64Array,
  predictedCost: Float64Array,
  available: Uint8Array | null,
  trueQuality: Float64Array,
  trueCost: Float64Array,
  modelCount: number,
  lambdas: Float64Array = lambdaGrid(),
): CurvePoint[] {
  const n = trueQuality.length / modelCount;
  const choice = new Int32Array(n);
  const points: CurvePoint[] = [];
  for (const lambda of lambdas) {
    chooseByLambda(predictedQuality, predictedCost, available, modelCount, lambda, choice);
    let quality = 0;
    let cost = 0;
    for (let q = 0; q < n; q++) {
      const j = choice[q]!;
      if (j < 0) throw new RangeError(`router has no eligible model for test query ${q}`);
      quality += trueQuality[q * modelCount + j]!;
      cost += trueCost[q * modelCount + j]!;
    }
    points.push({ lambda, cost: cost / n, quality: quality / n });
  }
  return points;
}
