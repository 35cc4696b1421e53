// The local trainer in plain TypeScript (float64): the reference the ONNX trainer is held to,
// and the fallback where no ONNX runtime is available.
import type { Random } from "../random.ts";
import { type AdamWState, adamwStep } from "./adamw.ts";
import { parameterLayout } from "./layout.ts";
import {
  checkTrainingShape,
  type LocalTrainer,
  type LocalTrainingOptions,
  type LocalTrainingResult,
  runEpochs,
  type StepEngine,
} from "./local-training.ts";
import { referenceGradients } from "./reference.ts";
import type { MlpTrainingSet } from "./training-set.ts";

/**
 * A step engine over float64 state: gradients from the reference (with the distillation term
 * when the options ask for it), then clipped AdamW on the trainable parameters.
 */
export function referenceStepEngine(params: Float32Array, options: LocalTrainingOptions): StepEngine {
  const layout = parameterLayout(options.shape);
  const weights = Float64Array.from(params);
  const state: AdamWState<Float64Array> = {
    m: new Float64Array(layout.size),
    v: new Float64Array(layout.size),
    step: 0,
  };
  return {
    step(batch) {
      const { loss, gradient } = referenceGradients(
        layout,
        weights,
        batch,
        options.distillation?.weight ?? 0,
      );
      adamwStep(weights, gradient, state, options.optimizer, options.trainable);
      return loss;
    },
    parameters: () => Float32Array.from(weights),
  };
}

export function createReferenceTrainer(): LocalTrainer {
  return {
    async train(
      params: Float32Array,
      set: MlpTrainingSet,
      options: LocalTrainingOptions,
      random: Random,
    ): Promise<LocalTrainingResult> {
      checkTrainingShape(set, options.shape);
      const engine = referenceStepEngine(params, options);
      const epochLosses = await runEpochs(engine, set, options, random);
      return { params: await engine.parameters(), epochLosses };
    },
  };
}
