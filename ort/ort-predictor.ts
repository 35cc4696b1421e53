// Router inference on onnxruntime: the standalone inference graph (weights as initializers)
// turned into per-(query, model) predicted quality and USD cost.
import { predictionFromOutputs } from "../core/mlp/predict.ts";
import type { MlpRouter } from "../core/mlp/router-file.ts";
import { INFERENCE_INPUT, INFERENCE_OUTPUTS, inferenceModel } from "../core/onnx/mlp-inference.ts";
import type { BatchPrediction } from "../core/prediction.ts";
import { loadOrtRuntime, type OrtRuntime, type OrtTensor, type RuntimeOptions } from "./ort-runtime.ts";

export interface OrtPredictor {
  router: MlpRouter;
  runtime: OrtRuntime;
  /** Predictions for `rows` feature vectors laid out row-major in `features`. */
  predict(features: Float32Array, rows?: number): Promise<BatchPrediction>;
  /** The raw outputs: quality probabilities and normalised costs, [rows x M] each. */
  predictRaw(
    features: Float32Array,
    rows?: number,
  ): Promise<{ quality: Float32Array; normalisedCost: Float32Array }>;
}

export async function createOrtPredictor(
  router: MlpRouter,
  options: RuntimeOptions & { runtime?: OrtRuntime } = {},
): Promise<OrtPredictor> {
  const runtime = options.runtime ?? (await loadOrtRuntime(options));
  const session = await runtime.createSession(inferenceModel(router));
  const d = router.shape.dimension;
  // Input tensors are reused per batch size: a single query allocates nothing but its outputs.
  const inputs = new Map<number, OrtTensor>();
  const predictRaw = async (features: Float32Array, rows = features.length / d) => {
    if (!Number.isInteger(rows) || features.length !== rows * d) {
      throw new RangeError(`features hold ${features.length} values, not rows of ${d}`);
    }
    let input = inputs.get(rows);
    if (!input) {
      input = new runtime.ort.Tensor("float32", new Float32Array(rows * d), [rows, d]);
      if (inputs.size < 8) inputs.set(rows, input);
    }
    (input.data as Float32Array).set(features);
    const outputs = await session.run({ [INFERENCE_INPUT]: input });
    return {
      quality: outputs[INFERENCE_OUTPUTS.quality]!.data as Float32Array,
      normalisedCost: outputs[INFERENCE_OUTPUTS.normalisedCost]!.data as Float32Array,
    };
  };
  return {
    router,
    runtime,
    predictRaw,
    async predict(features, rows = features.length / d) {
      const raw = await predictRaw(features, rows);
      // The graph outputs quality as a probability already; only the cost needs de-normalising.
      const m = router.shape.modelCount;
      const prediction = predictionFromOutputs(router, new Float64Array(rows * m), raw.normalisedCost, rows);
      prediction.quality.set(raw.quality);
      return prediction;
    },
  };
}
