// FLOPs of one MLP training step, counted analytically so every implementation is measured
// against the same figure.
import type { MlpShape } from "../../core/mlp/layout.ts";

/**
 * Matrix-multiply FLOPs (2 per multiply-add) of one step on a batch of B rows:
 *   forward             2B (dH + H^2 + 2MH)
 *   weight gradients    2B (dH + H^2 + 2MH)
 *   input gradients     2B (H^2 + 2MH)          (none for the features)
 *   total               2B (2dH + 3H^2 + 6MH)
 * Element-wise work (LayerNorm, GELU, loss, clipping, AdamW: O(B H + P)) is left out; on the
 * paper's shape it is about 1% of the matrix work.
 */
export function trainingStepFlops(shape: MlpShape, batch: number): number {
  const { dimension: d, hidden: h, modelCount: m } = shape;
  return 2 * batch * (2 * d * h + 3 * h * h + 6 * m * h);
}

/** Forward-only matrix FLOPs per query: 2 (dH + H^2 + 2MH). */
export function inferenceFlops(shape: MlpShape): number {
  const { dimension: d, hidden: h, modelCount: m } = shape;
  return 2 * (d * h + h * h + 2 * m * h);
}
