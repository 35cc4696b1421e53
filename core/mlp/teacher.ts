// The frozen teacher's predictions for every row of a client's set (the federation's model
// before new clients joined), the targets that distillation (distillation.ts) pulls towards.
import type { TeacherPredictions } from "./batch.ts";
import { COST_CLAMP } from "./cost-normalisation.ts";
import { type MlpShape, parameterLayout } from "./layout.ts";
import { referenceForward } from "./reference.ts";
import type { MlpTrainingSet } from "./training-set.ts";

/** Rows per forward pass when predicting a whole set (bounds the activations' memory). */
const CHUNK_ROWS = 256;

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * The frozen teacher's predictions for every row of a set (no dropout): quality after the
 * sigmoid and the normalised cost clamped to the targets' range.
 */
export function teacherPredictions(
  shape: MlpShape,
  params: Float32Array,
  set: MlpTrainingSet,
): TeacherPredictions {
  const layout = parameterLayout(shape);
  const weights = Float64Array.from(params);
  const { dimension: d, modelCount: m } = shape;
  const quality = new Float32Array(set.n * m);
  const cost = new Float32Array(set.n * m);
  for (let start = 0; start < set.n; start += CHUNK_ROWS) {
    const rows = Math.min(CHUNK_ROWS, set.n - start);
    const features = set.features.subarray(start * d, (start + rows) * d);
    const cache = referenceForward(layout, weights, features, rows, null);
    for (let k = 0; k < rows * m; k++) {
      quality[start * m + k] = sigmoid(cache.qualityLogit[k]!);
      cost[start * m + k] = Math.min(COST_CLAMP, Math.max(-COST_CLAMP, cache.costOutput[k]!));
    }
  }
  return { quality, cost };
}
