// Local training as the federated MLP sees it: an injected trainer runs epochs of steps over a
// client's set. The epoch driver (shuffling, batching, dropout masks) lives here once, so the
// reference trainer and the ONNX trainer consume the seeded randomness identically.
import { type Random, shuffle } from "../random.ts";
import type { AdamWOptions } from "./adamw.ts";
import { allocateBatch, fillBatch, type MlpBatch, type TeacherPredictions } from "./batch.ts";
import type { CostStats } from "./cost-normalisation.ts";
import type { MlpShape } from "./layout.ts";
import type { MlpRouter } from "./router-file.ts";
import type { MlpTrainingSet } from "./training-set.ts";

export interface LocalTrainingOptions {
  shape: MlpShape;
  costStats: CostStats;
  /** Passes over the local set per round (default 1). */
  epochs: number;
  batchSize: number;
  dropout: number;
  optimizer: AdamWOptions;
  /**
   * 1 for each parameter the optimizer may change, 0 for frozen ones (length P). Absent: all
   * trainable. New models train their heads only, with the trunk and the old heads frozen.
   */
  trainable?: Float32Array;
  /** Distillation towards a frozen teacher's predictions for every row of the set. */
  distillation?: { weight: number; teacher: TeacherPredictions };
}

export interface LocalTrainingResult {
  params: Float32Array;
  /** Mean training loss of each epoch. */
  epochLosses: number[];
}

/**
 * Trains from the given parameters with a fresh optimizer state. Implementations: the
 * TypeScript reference (core) and onnxruntime (client-sdk/src/train).
 */
export interface LocalTrainer {
  train(
    params: Float32Array,
    set: MlpTrainingSet,
    options: LocalTrainingOptions,
    random: Random,
  ): Promise<LocalTrainingResult>;
  /**
   * Predicted quality [n x M] of a router for the given rows, without dropout. Optional: the
   * calibration pass falls back to the TypeScript reference.
   */
  predictQuality?(router: MlpRouter, features: Float32Array): Promise<Float64Array>;
}

/** One optimiser run's steps on flat state; created fresh for every call of `train`. */
export interface StepEngine {
  /** One clipped AdamW step on the batch; returns the batch loss before the update. */
  step(batch: MlpBatch): number | Promise<number>;
  /** The current parameters as float32 (a copy the caller may keep). */
  parameters(): Float32Array | Promise<Float32Array>;
}

/**
 * Runs `epochs` epochs: each epoch shuffles the rows with `random`, cuts batches of
 * min(batchSize, n) rows (the last one padded with empty rows, which contribute nothing) and
 * draws each batch's dropout masks.
 */
export async function runEpochs(
  engine: StepEngine,
  set: MlpTrainingSet,
  options: LocalTrainingOptions,
  random: Random,
  batch: MlpBatch = allocateBatch(
    options.shape,
    Math.max(1, Math.min(options.batchSize, set.n)),
    options.distillation !== undefined,
  ),
): Promise<number[]> {
  const teacher = options.distillation?.teacher;
  if (teacher && teacher.quality.length !== set.n * set.modelCount)
    throw new RangeError(
      `teacher predictions cover ${teacher.quality.length} cells, the set has ${set.n}x${set.modelCount}`,
    );
  const order = Array.from({ length: set.n }, (_, i) => i);
  const losses: number[] = [];
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    shuffle(random, order);
    let total = 0;
    let batches = 0;
    for (let start = 0; start < set.n; start += batch.rows) {
      fillBatch(
        batch,
        set,
        order.slice(start, start + batch.rows),
        options.costStats,
        options.dropout,
        random,
        teacher,
      );
      total += await engine.step(batch);
      batches++;
    }
    losses.push(batches ? total / batches : 0);
  }
  return losses;
}

export function checkTrainingShape(set: MlpTrainingSet, shape: MlpShape): void {
  if (set.dimension !== shape.dimension || set.modelCount !== shape.modelCount) {
    throw new RangeError(
      `training set is ${set.dimension}-d with ${set.modelCount} models, the network ${shape.dimension}-d with ${shape.modelCount}`,
    );
  }
}
