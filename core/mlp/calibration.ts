// The calibration pass that ends federated training. Each round averages the trunk over every
// participant, but a model's head moves only with the clients that observed that model, so the
// mean quality a head predicts drifts from what its evaluators saw (measured on RouterBench: a
// run whose GPT-4 head fell to 0.80 against an observed 0.845 ranked it level with a model costing
// a fifteenth, and scored 0.757 against 0.826 for the same split's centralised router). One
// Newton step on each quality bias, from sums over every client's observed cells at the final
// weights, puts each model's mean predicted quality back on its federated mean: sum(residual) /
// (sum(q(1 - q)) + damping), where q(1 - q) is the sigmoid's slope.
//
// Cells carry their training weight (the inverse-propensity weight of a routed evaluation, 1
// otherwise) in all three sums: the step then puts each model's mean on its self-normalised IPS
// estimate, as the weighted loss does. Unweighted, it would pull each bias back to the mean over
// the queries the policy chose that model for (measured on the online scenario, docs/exploration.md).
import { type ParameterLayout, slotOf } from "./layout.ts";
import type { MlpTrainingSet } from "./training-set.ts";

/**
 * Per model: the weighted sum of (observed - predicted) quality, of q(1 - q), and the observed
 * cells' weights they sum over (the step does not need that count; the edge checks both sums
 * against it). With no weights the count is the number of cells.
 */
export const CALIBRATION_SUMS_PER_MODEL = 3;

/**
 * Pseudo-cells of damping in the Newton step: with many cells it changes nothing; a model with a
 * handful cannot swing its bias by more than a few logits.
 */
export const CALIBRATION_DAMPING = 1;

/**
 * One client's calibration sums ([residuals (M), slopes (M), cells (M)]) from predicted qualities
 * [n x M], each cell weighted by `set.weight` when the set carries weights.
 */
export function calibrationSums(set: MlpTrainingSet, predictedQuality: ArrayLike<number>): Float64Array {
  const m = set.modelCount;
  if (predictedQuality.length !== set.n * m)
    throw new RangeError(`${predictedQuality.length} predictions for ${set.n} rows of ${m} models`);
  const sums = new Float64Array(CALIBRATION_SUMS_PER_MODEL * m);
  for (let cell = 0; cell < set.n * m; cell++) {
    if (!set.observed[cell]) continue;
    const q = predictedQuality[cell]!;
    const w = set.weight ? set.weight[cell]! : 1;
    sums[cell % m]! += w * (set.quality[cell]! - q);
    sums[m + (cell % m)]! += w * q * (1 - q);
    sums[2 * m + (cell % m)]! += w;
  }
  return sums;
}

/** Parameters whose quality biases took the Newton step the summed residuals and slopes give. */
export function withCalibratedBiases(
  layout: ParameterLayout,
  params: Float32Array,
  totals: ArrayLike<number>,
  damping = CALIBRATION_DAMPING,
): Float32Array {
  const m = layout.shape.modelCount;
  if (totals.length !== CALIBRATION_SUMS_PER_MODEL * m)
    throw new RangeError(
      `calibration totals hold ${totals.length} values, expected ${CALIBRATION_SUMS_PER_MODEL * m}`,
    );
  const out = params.slice();
  const bias = slotOf(layout, "quality.bias");
  for (let j = 0; j < m; j++) {
    const slope = totals[m + j]!;
    if (!(slope > 0)) continue;
    out[bias.offset + j] = out[bias.offset + j]! + totals[j]! / (slope + damping);
  }
  return out;
}
