// Local training on onnxruntime: runs the ONNX training-step graph (core/onnx) batch after
// batch, feeding each step's updated weights and moments straight back as the next inputs.

import type { AdamWOptions } from "../core/mlp/adamw.ts";
import type { MlpBatch } from "../core/mlp/batch.ts";
import { type MlpShape, parameterLayout } from "../core/mlp/layout.ts";
import {
  checkTrainingShape,
  type LocalTrainer,
  type LocalTrainingOptions,
  runEpochs,
  type StepEngine,
} from "../core/mlp/local-training.ts";
import type { MlpRouter } from "../core/mlp/router-file.ts";
import {
  STEP_INPUTS,
  STEP_OUTPUTS,
  type StepVariant,
  trainingStepModel,
} from "../core/onnx/mlp-training-step.ts";
import { createOrtPredictor } from "./ort-predictor.ts";
import {
  loadOrtRuntime,
  type OrtRuntime,
  type OrtSession,
  type OrtTensor,
  type RuntimeOptions,
} from "./ort-runtime.ts";

/** A compiled training-step session for one network shape, optimizer setting and variant. */
export interface OrtStepSession {
  runtime: OrtRuntime;
  shape: MlpShape;
  session: OrtSession;
  variant: StepVariant;
  /**
   * A step engine starting from `params` with zero moments (a fresh optimizer). A frozen
   * variant needs the `trainable` mask (1 trainable, 0 frozen, one entry per parameter).
   */
  engine(params: Float32Array, trainable?: Float32Array): StepEngine;
}

export async function createOrtStepSession(
  runtime: OrtRuntime,
  shape: MlpShape,
  optimizer: AdamWOptions,
  variant: StepVariant = {},
): Promise<OrtStepSession> {
  const session = await runtime.createSession(trainingStepModel(shape, optimizer, variant));
  const { Tensor } = runtime.ort;
  const size = parameterLayout(shape).size;
  return {
    runtime,
    shape,
    session,
    variant,
    engine(params, trainable) {
      if (params.length !== size)
        throw new RangeError(`${params.length} parameters, the network has ${size}`);
      if (variant.frozen && trainable?.length !== size)
        throw new RangeError(`a frozen-parameter step needs a trainable mask of ${size} entries`);
      const mask: Record<string, OrtTensor> =
        variant.frozen && trainable
          ? { [STEP_INPUTS.trainable]: new Tensor("float32", trainable, [size]) }
          : {};
      let weights: OrtTensor = new Tensor("float32", params.slice(), [size]);
      let m: OrtTensor = new Tensor("float32", new Float32Array(size), [size]);
      let v: OrtTensor = new Tensor("float32", new Float32Array(size), [size]);
      let step = 0;
      // Tensors wrap the batch's buffers, which the epoch driver refills in place: built once per batch object.
      let wrapped: MlpBatch | null = null;
      let batchFeeds: Record<string, OrtTensor> = {};
      const wrap = (batch: MlpBatch) => {
        const cells = [batch.rows, shape.modelCount];
        const hidden = [batch.rows, shape.hidden];
        batchFeeds = {
          [STEP_INPUTS.features]: new Tensor("float32", batch.features, [batch.rows, shape.dimension]),
          [STEP_INPUTS.quality]: new Tensor("float32", batch.quality, cells),
          [STEP_INPUTS.cost]: new Tensor("float32", batch.cost, cells),
          [STEP_INPUTS.observed]: new Tensor("float32", batch.observed, cells),
          [STEP_INPUTS.dropout1]: new Tensor("float32", batch.dropout1, hidden),
          [STEP_INPUTS.dropout2]: new Tensor("float32", batch.dropout2, hidden),
          ...mask,
        };
        if (variant.distillation) {
          const teacher = batch.teacher;
          if (!teacher) throw new RangeError("a distillation step needs the teacher's targets in the batch");
          batchFeeds[STEP_INPUTS.teacherQuality] = new Tensor("float32", teacher.quality, cells);
          batchFeeds[STEP_INPUTS.teacherCost] = new Tensor("float32", teacher.cost, cells);
          batchFeeds[STEP_INPUTS.teacherCells] = new Tensor("float32", teacher.cells, cells);
        }
        wrapped = batch;
      };
      return {
        async step(batch) {
          if (wrapped !== batch) wrap(batch);
          step += 1;
          const outputs = await session.run({
            ...batchFeeds,
            [STEP_INPUTS.params]: weights,
            [STEP_INPUTS.m]: m,
            [STEP_INPUTS.v]: v,
            [STEP_INPUTS.step]: new Tensor("float32", Float32Array.of(step), []),
          });
          weights = outputs[STEP_OUTPUTS.params]!;
          m = outputs[STEP_OUTPUTS.m]!;
          v = outputs[STEP_OUTPUTS.v]!;
          return (outputs[STEP_OUTPUTS.loss]!.data as Float32Array)[0]!;
        },
        parameters: () => (weights.data as Float32Array).slice(),
      };
    },
  };
}

export interface OrtTrainerOptions extends RuntimeOptions {
  /** An already loaded runtime (otherwise one is loaded from the options on first use). */
  runtime?: OrtRuntime;
}

/**
 * The SDK's local trainer: the same epochs as the reference trainer, each step one run of the
 * ONNX training-step graph. Sessions are compiled once per shape and optimizer setting.
 */
export function createOrtTrainer(options: OrtTrainerOptions = {}): LocalTrainer & {
  runtime(): Promise<OrtRuntime>;
} {
  let runtime: Promise<OrtRuntime> | null = options.runtime ? Promise.resolve(options.runtime) : null;
  const sessions = new Map<string, Promise<OrtStepSession>>();
  /** The inference session of the last router predicted with, by its parameters' identity. */
  let last: {
    params: MlpRouter["params"];
    costStats: MlpRouter["costStats"];
    predictor: ReturnType<typeof createOrtPredictor>;
  } | null = null;
  const getRuntime = () => {
    runtime ??= loadOrtRuntime(options);
    return runtime;
  };
  return {
    runtime: getRuntime,
    async train(params, set, training: LocalTrainingOptions, random) {
      checkTrainingShape(set, training.shape);
      const variant: StepVariant = {
        frozen: training.trainable !== undefined,
        distillation: training.distillation?.weight ?? 0,
      };
      const key = JSON.stringify([training.shape, training.optimizer, variant]);
      let session = sessions.get(key);
      if (!session) {
        session = getRuntime().then((rt) =>
          createOrtStepSession(rt, training.shape, training.optimizer, variant),
        );
        sessions.set(key, session);
      }
      const engine = (await session).engine(params, training.trainable);
      const epochLosses = await runEpochs(engine, set, training, random);
      return { params: await engine.parameters(), epochLosses };
    },
    // The calibration pass predicts once per client with the same router: one inference session
    // for all of them (one per client cost 1,000 session compilations a training at 1,000 clients).
    async predictQuality(router, features) {
      if (last?.params !== router.params || last.costStats !== router.costStats) {
        last = {
          params: router.params,
          costStats: router.costStats,
          predictor: createOrtPredictor(router, { runtime: await getRuntime() }),
        };
      }
      return (await (await last.predictor).predict(features)).quality;
    },
  };
}
