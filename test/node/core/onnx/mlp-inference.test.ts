// The exported inference graph: a standalone .onnx that onnxruntime-web loads and that predicts
// what the TypeScript reference predicts.
import { describe, expect, it } from "vitest";
import { initialParameters, parameterLayout } from "../../../../core/mlp/layout.ts";
import { predictMlp } from "../../../../core/mlp/predict.ts";
import type { MlpRouter } from "../../../../core/mlp/router-file.ts";
import { INFERENCE_INPUT, INFERENCE_OUTPUTS, inferenceModel } from "../../../../core/onnx/mlp-inference.ts";
import { normal, seededRandom } from "../../../../core/random.ts";
import { createOrtPredictor } from "../../../../ort/index.ts";

const shape = { dimension: 10, hidden: 16, modelCount: 4 };

function router(): MlpRouter {
  const random = seededRandom(9);
  const layout = parameterLayout(shape);
  return {
    shape,
    params: initialParameters(layout, random),
    costStats: {
      mu: Float64Array.of(0.001, 0.01, 0.002, 0.0005),
      sigma: Float64Array.of(0.002, 0.01, 0.5, 1),
    },
    models: ["a", "b", "c", "d"],
    embedder: { id: "test", dimension: shape.dimension },
  };
}

describe("the exported inference graph", () => {
  it("loads in onnxruntime-web as a plain .onnx file and matches the reference predictions", async () => {
    const r = router();
    const ort = await import("onnxruntime-web");
    ort.env.wasm.numThreads = 1;
    const session = await ort.InferenceSession.create(inferenceModel(r));
    expect(session.inputNames).toEqual([INFERENCE_INPUT]);
    const random = seededRandom(4);
    const rows = 7;
    const features = Float32Array.from({ length: rows * shape.dimension }, () => normal(random));
    const out = await session.run({
      [INFERENCE_INPUT]: new ort.Tensor("float32", features, [rows, shape.dimension]),
    });
    const quality = out[INFERENCE_OUTPUTS.quality]!.data as Float32Array;
    const expected = predictMlp(r, features, rows);
    expect(quality.length).toBe(rows * shape.modelCount);
    for (let k = 0; k < quality.length; k++) expect(quality[k]).toBeCloseTo(expected.quality[k]!, 5);
  });

  it("gives the reference's quality and USD cost through the SDK predictor, one query or a batch", async () => {
    const r = router();
    const predictor = await createOrtPredictor(r, { backend: "wasm" });
    const random = seededRandom(8);
    const rows = 5;
    const features = Float32Array.from({ length: rows * shape.dimension }, () => normal(random));
    const expected = predictMlp(r, features, rows);
    const batch = await predictor.predict(features, rows);
    const single = await predictor.predict(features.subarray(0, shape.dimension), 1);
    for (let k = 0; k < rows * shape.modelCount; k++) {
      expect(batch.quality[k]).toBeCloseTo(expected.quality[k]!, 5);
      expect(Math.abs(batch.cost[k]! - expected.cost[k]!)).toBeLessThanOrEqual(
        1e-4 * expected.cost[k]! + 1e-9,
      );
    }
    for (let j = 0; j < shape.modelCount; j++) expect(single.quality[j]).toBeCloseTo(expected.quality[j]!, 5);
  });
});
