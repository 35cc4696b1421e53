// The quality heads' starting point from federated sums: each model's quality bias starts at the
// logit of its mean observed quality over all participants. The cost head needs no such start,
// since its targets are normalised per model (mean 0) by the same statistics pass; without it the
// quality heads start at 0.5 for every model and five short rounds do not undo that: whether the
// router ever prefers the strongest (and dearest) model, which sets the top of its accuracy-cost
// curve, then depends on the draw of the initial weights.
import { type ParameterLayout, slotOf } from "./layout.ts";
import type { MlpTrainingSet } from "./training-set.ts";

/** Keeps a starting quality estimate away from 0 and 1, where the logit is infinite. */
export const QUALITY_PRIOR_FLOOR = 0.02;

/** One client's sums of observed quality per model (M); the counts come with the cost sums. */
export function qualitySums(set: MlpTrainingSet): Float64Array {
  const m = set.modelCount;
  const sums = new Float64Array(m);
  for (let q = 0; q < set.n; q++) {
    for (let j = 0; j < m; j++) if (set.observed[q * m + j]) sums[j]! += set.quality[q * m + j]!;
  }
  return sums;
}

/**
 * Parameters whose quality biases are the logits of the mean observed qualities (count and sum
 * per model); a model nobody observed keeps its bias. The head weights keep their initial values,
 * as the cost head's do.
 */
export function withQualityPrior(
  layout: ParameterLayout,
  params: Float32Array,
  counts: ArrayLike<number>,
  sums: ArrayLike<number>,
): Float32Array {
  const out = params.slice();
  const bias = slotOf(layout, "quality.bias");
  for (let j = 0; j < layout.shape.modelCount; j++) {
    const count = counts[j]!;
    if (!(count > 0)) continue;
    const mean = Math.min(1 - QUALITY_PRIOR_FLOOR, Math.max(QUALITY_PRIOR_FLOOR, sums[j]! / count));
    out[bias.offset + j] = Math.log(mean / (1 - mean));
  }
  return out;
}
