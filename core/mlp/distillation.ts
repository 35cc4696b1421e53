// Distillation from a frozen teacher (the federation's model before new clients joined): mean
// squared error between the student's predicted quality and normalised cost and the teacher's,
// over every cell of the batch's real rows, so that what the federation knew is kept.
import type { BatchTeacher } from "./batch.ts";

/** The paper's weight of the distillation term relative to the masked loss. */
export const DISTILLATION_WEIGHT = 1;

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * weight * [mean over cells (sigmoid(logit) - teacher quality)^2 + mean over cells (cost output
 * - teacher cost)^2], the cells being every (row, model) of the batch's real rows; with the
 * gradients with respect to both head outputs, to be added to the masked loss's.
 */
export function distillationLoss(
  // A forward pass's head outputs (reference.ts's ForwardCache has them), typed by shape so that
  // the loss does not import the network it is a term of.
  heads: { qualityLogit: Float64Array; costOutput: Float64Array },
  teacher: BatchTeacher,
  weight: number,
): { loss: number; dQualityLogit: Float64Array; dCostOutput: Float64Array } {
  const cells = heads.qualityLogit.length;
  let count = 0;
  for (let k = 0; k < cells; k++) count += teacher.cells[k]!;
  const scale = weight / Math.max(1, count);
  const dQualityLogit = new Float64Array(cells);
  const dCostOutput = new Float64Array(cells);
  let loss = 0;
  for (let k = 0; k < cells; k++) {
    if (!teacher.cells[k]) continue;
    const p = sigmoid(heads.qualityLogit[k]!);
    const qualityError = p - teacher.quality[k]!;
    const costError = heads.costOutput[k]! - teacher.cost[k]!;
    loss += (qualityError * qualityError + costError * costError) * scale;
    dQualityLogit[k] = 2 * qualityError * p * (1 - p) * scale;
    dCostOutput[k] = 2 * costError * scale;
  }
  return { loss, dQualityLogit, dCostOutput };
}
