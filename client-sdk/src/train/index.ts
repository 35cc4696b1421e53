// Local training and inference of the MLP router on onnxruntime (WASM in browsers, native or WASM in Node).

export { createOrtPredictor, type OrtPredictor } from "./ort-predictor.ts";
export { type Backend, loadOrtRuntime, type OrtRuntime, type RuntimeOptions } from "./ort-runtime.ts";
export {
  createOrtStepSession,
  createOrtTrainer,
  type OrtStepSession,
  type OrtTrainerOptions,
} from "./ort-trainer.ts";
