// onnxruntime trainer and predictor of the MLP router, and the ONNX sentence-encoder embedder, native in Node and WASM in browsers, imported by the SDK, the harness and the benches; the edge never imports it.

export { type OrtCompute, ortCompute } from "./compute.ts";
export type { EncoderFiles, EncoderSource } from "./embedder/encoder-source.ts";
export {
  type OnnxEmbedder,
  type OnnxEmbedderOptions,
  type OnnxEmbedderRunOptions,
  onnxEmbedder,
  onnxEmbedderFromId,
} from "./embedder/onnx-embedder.ts";
export { type OnnxEmbedderRegistration, onnxEmbedderRegistration } from "./embedder/registration.ts";
export { createOrtPredictor, type OrtPredictor } from "./ort-predictor.ts";
export { type Backend, loadOrtRuntime, type OrtRuntime, type RuntimeOptions } from "./ort-runtime.ts";
export {
  createOrtStepSession,
  createOrtTrainer,
  type OrtStepSession,
  type OrtTrainerOptions,
} from "./ort-trainer.ts";
