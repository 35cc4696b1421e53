// Turns a published model file into predictions for query vectors: the routers of core/router.ts
// in plain JavaScript (every kind, nothing to download), or the MLP on onnxruntime.

import { mlpFromModelFile, mlpRouter } from "../../../core/mlp/router-file.ts";
import type { EmbedderInfo, ModelFile } from "../../../core/model-file.ts";
import { loadRouter } from "../../../core/router.ts";
import { FedRouterError } from "../errors.ts";
import { createOrtPredictor } from "../train/ort-predictor.ts";
import type { OrtRuntime } from "../train/ort-runtime.ts";

/** Every model's predicted quality and cost for a batch of vectors, one row per vector. */
export interface Predictions {
  quality: Float64Array[];
  cost: Float64Array[];
  /** Per row, 0 where the router has no basis to predict a model (it is never chosen then). */
  available?: (ArrayLike<number> | undefined)[];
}

/** What routes and evaluates: one loaded model version. */
export interface ModelPredictor {
  kind: string;
  models: string[];
  embedder: EmbedderInfo;
  predict(vectors: readonly Float32Array[]): Promise<Predictions>;
}

/** "js": core's routers in plain JavaScript; "onnxruntime": the MLP's inference graph on onnxruntime. */
export type Inference = "js" | "onnxruntime";

function notRoutable(version: number, error: unknown): FedRouterError {
  return new FedRouterError(
    "no_model",
    `model version ${version} cannot route yet: ${(error as Error).message}; sync again after the next round`,
    { cause: error },
  );
}

function jsPredictor(file: ModelFile, version: number): ModelPredictor {
  let router: ReturnType<typeof loadRouter>;
  try {
    router = loadRouter(file);
  } catch (error) {
    throw notRoutable(version, error);
  }
  return {
    kind: file.kind,
    models: file.models,
    embedder: file.embedder,
    async predict(vectors) {
      const out: Predictions = { quality: [], cost: [], available: [] };
      for (const vector of vectors) {
        const prediction = router.predict(vector);
        out.quality.push(Float64Array.from(prediction.quality));
        out.cost.push(Float64Array.from(prediction.cost));
        out.available!.push(prediction.available);
      }
      return out;
    },
  };
}

async function ortPredictor(file: ModelFile, version: number, runtime: OrtRuntime): Promise<ModelPredictor> {
  let router: ReturnType<typeof mlpRouter>;
  try {
    router = mlpRouter(mlpFromModelFile(file));
  } catch (error) {
    throw notRoutable(version, error);
  }
  const ort = await createOrtPredictor(router, { runtime });
  const m = file.models.length;
  const d = file.embedder.dimension;
  return {
    kind: file.kind,
    models: file.models,
    embedder: file.embedder,
    async predict(vectors) {
      if (vectors.length === 0) return { quality: [], cost: [] };
      const features = new Float32Array(vectors.length * d);
      for (const [i, v] of vectors.entries()) features.set(v, i * d);
      const { quality, cost, available } = await ort.predict(features, vectors.length);
      const row = <T extends Float64Array | Uint8Array>(a: T, i: number) => a.slice(i * m, i * m + m) as T;
      return {
        quality: vectors.map((_, i) => row(quality, i)),
        cost: vectors.map((_, i) => row(cost, i)),
        ...(available ? { available: vectors.map((_, i) => row(available, i)) } : {}),
      };
    },
  };
}

/**
 * The predictor of a model version. onnxruntime serves MLP routers only; other kinds always
 * predict in JavaScript.
 */
export async function createPredictor(
  file: ModelFile,
  version: number,
  inference: Inference,
  runtime: () => Promise<OrtRuntime>,
): Promise<ModelPredictor> {
  if (inference === "onnxruntime" && file.kind === "mlp") return ortPredictor(file, version, await runtime());
  return jsPredictor(file, version);
}
