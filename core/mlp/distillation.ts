// Distillation from a frozen teacher (the federation's model before new clients joined): mean
// squared error between the student's predicted quality and normalised cost and the teacher's,
// over every cell of the batch's real rows, so that what the federation knew is kept.
import type { BatchTeacher, TeacherPredictions } from "./batch.ts";
import { COST_CLAMP } from "./cost-normalisation.ts";
import { type MlpShape, parameterLayout } from "./layout.ts";
import { type ForwardCache, referenceForward } from "./reference.ts";
import type { MlpTrainingSet } from "./training-set.ts";

/** The paper's weight of the distillation term relative to the masked loss. */
export const DISTILLATION_WEIGHT = 1;

/** Rows per forward pass when predicting a whole set (bounds the activations' memory). */
const CHUNK_ROWS = 256;

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * weight * [mean over cells (sigmoid(logit) - teacher quality)^2 + mean over cells (cost output
 * - teacher cost)^2], the cells being every (row, model) of the batch's real rows; with the
 * gradients with respect to both head outputs, to be added to the masked loss's.
 */
export function distillationLoss(
  cache: ForwardCache,
  teacher: BatchTeacher,
  weight: number,
): { loss: number; dQualityLogit: Float64Array; dCostOutput: Float64Array } {
  const cells = cache.qualityLogit.length;
  let count = 0;
  for (let k = 0; k < cells; k++) count += teacher.cells[k]!;
  const scale = weight / Math.max(1, count);
  const dQualityLogit = new Float64Array(cells);
  const dCostOutput = new Float64Array(cells);
  let loss = 0;
  for (let k = 0; k < cells; k++) {
    if (!teacher.cells[k]) continue;
    const p = sigmoid(cache.qualityLogit[k]!);
    const qualityError = p - teacher.quality[k]!;
    const costError = cache.costOutput[k]! - teacher.cost[k]!;
    loss += (qualityError * qualityError + costError * costError) * scale;
    dQualityLogit[k] = 2 * qualityError * p * (1 - p) * scale;
    dCostOutput[k] = 2 * costError * scale;
  }
  return { loss, dQualityLogit, dCostOutput };
}

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
