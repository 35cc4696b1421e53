// Local training on onnxruntime: runs the ONNX training-step graph (core/onnx) batch after
// batch, feeding each step's updated weights and moments straight back as the next inputs.

import type { AdamWOptions } from "../../../core/mlp/adamw.ts";
import type { MlpBatch } from "../../../core/mlp/batch.ts";
import { type MlpShape, parameterLayout } from "../../../core/mlp/layout.ts";
import {
  checkTrainingShape,
  type LocalTrainer,
  type LocalTrainingOptions,
  runEpochs,
  type StepEngine,
} from "../../../core/mlp/local-training.ts";
import { STEP_INPUTS, STEP_OUTPUTS, trainingStepModel } from "../../../core/onnx/mlp-training-step.ts";
import {
  loadOrtRuntime,
  type OrtRuntime,
  type OrtSession,
  type OrtTensor,
  type RuntimeOptions,
} from "./ort-runtime.ts";

/** A compiled training-step session for one network shape and optimizer setting. */
export interface OrtStepSession {
  runtime: OrtRuntime;
  shape: MlpShape;
  session: OrtSession;
  /** A step engine starting from `params` with zero moments (a fresh optimizer). */
  engine(params: Float32Array): StepEngine;
}

export async function createOrtStepSession(
  runtime: OrtRuntime,
  shape: MlpShape,
  optimizer: AdamWOptions,
): Promise<OrtStepSession> {
  const session = await runtime.createSession(trainingStepModel(shape, optimizer));
  const { Tensor } = runtime.ort;
  const size = parameterLayout(shape).size;
  return {
    runtime,
    shape,
    session,
    engine(params) {
      if (params.length !== size)
        throw new RangeError(`${params.length} parameters, the network has ${size}`);
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
        };
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
  const getRuntime = () => {
    runtime ??= loadOrtRuntime(options);
    return runtime;
  };
  return {
    runtime: getRuntime,
    async train(params, set, training: LocalTrainingOptions, random) {
      checkTrainingShape(set, training.shape);
      const key = JSON.stringify([training.shape, training.optimizer]);
      let session = sessions.get(key);
      if (!session) {
        session = getRuntime().then((rt) => createOrtStepSession(rt, training.shape, training.optimizer));
        sessions.set(key, session);
      }
      const engine = (await session).engine(params);
      const epochLosses = await runEpochs(engine, set, training, random);
      return { params: await engine.parameters(), epochLosses };
    },
  };
}
