// The local compute that the SDK, the harness and the benches hand to router kinds: the MLP's
// training steps and batch inference on onnxruntime, sharing one runtime.
import type { LocalCompute } from "../core/routers/kind.ts";
import { createOrtPredictor } from "./ort-predictor.ts";
import type { OrtRuntime } from "./ort-runtime.ts";
import { createOrtTrainer, type OrtTrainerOptions } from "./ort-trainer.ts";

export interface OrtCompute extends LocalCompute {
  trainer: ReturnType<typeof createOrtTrainer>;
  networkPredictor: NonNullable<LocalCompute["networkPredictor"]>;
  /** The runtime, loaded on first use. */
  runtime(): Promise<OrtRuntime>;
}

export function ortCompute(options: OrtTrainerOptions = {}): OrtCompute {
  const trainer = createOrtTrainer(options);
  return {
    trainer,
    runtime: trainer.runtime,
    async networkPredictor(router) {
      const predictor = await createOrtPredictor(router, { ...options, runtime: await trainer.runtime() });
      return (features) => predictor.predict(features);
    },
  };
}
