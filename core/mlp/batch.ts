// One training batch as the step (reference or ONNX) consumes it: fixed-size buffers with the
// cost targets already normalised and the dropout masks drawn outside the step, so that the
// TypeScript reference and the ONNX graph see exactly the same numbers.
import type { Random } from "../random.ts";
import { type CostStats, normaliseCost } from "./cost-normalisation.ts";
import type { MlpShape } from "./layout.ts";
import type { MlpTrainingSet } from "./training-set.ts";

export interface MlpBatch {
  /** Rows in the buffers; rows past the data are padding with no observed cell. */
  rows: number;
  /** rows x d */
  features: Float32Array;
  /** rows x M observed quality in [0, 1] */
  quality: Float32Array;
  /** rows x M normalised, clamped cost targets */
  cost: Float32Array;
  /**
   * rows x M: 0 where the cell is unobserved, else its training weight (1, or the set's inverse-
   * propensity weight); a float, as the graph multiplies the loss terms by it.
   */
  observed: Float32Array;
  /** rows x H each: 0 or 1/(1-p), inverted dropout's scaled keep masks */
  dropout1: Float32Array;
  dropout2: Float32Array;
  /** Distillation targets (only when training against a frozen teacher), rows x M each. */
  teacher?: BatchTeacher;
}

/** A frozen teacher's predictions for every row of a training set, n x M each. */
export interface TeacherPredictions {
  /** Predicted quality after the sigmoid */
  quality: Float32Array;
  /** Normalised cost, clamped as the targets are */
  cost: Float32Array;
}

export interface BatchTeacher extends TeacherPredictions {
  /** 1 on every cell of a real (non-padding) row: the distillation term's mask */
  cells: Float32Array;
}

export function allocateBatch(shape: MlpShape, rows: number, withTeacher = false): MlpBatch {
  const cells = rows * shape.modelCount;
  const teacher = withTeacher
    ? {
        teacher: {
          quality: new Float32Array(cells),
          cost: new Float32Array(cells),
          cells: new Float32Array(cells),
        },
      }
    : {};
  return {
    ...teacher,
    rows,
    features: new Float32Array(rows * shape.dimension),
    quality: new Float32Array(cells),
    cost: new Float32Array(cells),
    observed: new Float32Array(cells),
    dropout1: new Float32Array(rows * shape.hidden),
    dropout2: new Float32Array(rows * shape.hidden),
  };
}

/**
 * Copies the given rows of the set into the batch buffers (padding the rest with empty rows)
 * and draws both dropout masks from `random`. With a teacher, its predictions for those rows
 * fill the batch's distillation targets (the batch must have been allocated with a teacher).
 */
export function fillBatch(
  batch: MlpBatch,
  set: MlpTrainingSet,
  rows: ArrayLike<number>,
  stats: CostStats,
  dropout: number,
  random: Random,
  teacher?: TeacherPredictions,
): void {
  const d = set.dimension;
  const m = set.modelCount;
  if (rows.length > batch.rows)
    throw new RangeError(`${rows.length} rows do not fit a batch of ${batch.rows}`);
  batch.features.fill(0);
  batch.quality.fill(0);
  batch.cost.fill(0);
  batch.observed.fill(0);
  for (let r = 0; r < rows.length; r++) {
    const q = rows[r]!;
    batch.features.set(set.features.subarray(q * d, (q + 1) * d), r * d);
    for (let j = 0; j < m; j++) {
      if (!set.observed[q * m + j]) continue;
      batch.observed[r * m + j] = set.weight ? set.weight[q * m + j]! : 1;
      batch.quality[r * m + j] = set.quality[q * m + j]!;
      batch.cost[r * m + j] = normaliseCost(set.cost[q * m + j]!, stats.mu[j]!, stats.sigma[j]!);
    }
  }
  if (teacher) fillTeacher(batch, teacher, rows, m);
  fillDropoutMask(batch.dropout1, dropout, random);
  fillDropoutMask(batch.dropout2, dropout, random);
}

/** Inverted dropout: keep with probability 1-p and scale kept units by 1/(1-p). */
export function fillDropoutMask(mask: Float32Array, p: number, random: Random): void {
  if (p <= 0) {
    mask.fill(1);
    return;
  }
  const keep = 1 / (1 - p);
  for (let i = 0; i < mask.length; i++) mask[i] = random() < p ? 0 : keep;
}

function fillTeacher(batch: MlpBatch, teacher: TeacherPredictions, rows: ArrayLike<number>, m: number): void {
  const target = batch.teacher;
  if (!target) throw new RangeError("the batch was allocated without distillation targets");
  target.quality.fill(0);
  target.cost.fill(0);
  target.cells.fill(0);
  for (let r = 0; r < rows.length; r++) {
    const q = rows[r]!;
    target.quality.set(teacher.quality.subarray(q * m, (q + 1) * m), r * m);
    target.cost.set(teacher.cost.subarray(q * m, (q + 1) * m), r * m);
    target.cells.fill(1, r * m, (r + 1) * m);
  }
}
