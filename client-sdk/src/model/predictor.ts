// Turns a published model file into predictions for query vectors: the kind's router in plain
// JavaScript (every kind, nothing to download), or the kind's accelerated predictor (the MLP on
// onnxruntime) when the app asks for it.
import { type EmbedderInfo, inputWidth, type ModelFile, tagsOf } from "../../../core/model-file.ts";
import { batchToRows, type PredictionRows } from "../../../core/prediction.ts";
import type { LocalCompute, Router } from "../../../core/routers/kind.ts";
import { findRouterKind, loadRouter, stateOf } from "../../../core/routers/registry.ts";
import { FedRouterError } from "../errors.ts";

/** What routes and evaluates: one loaded model version. */
export interface ModelPredictor {
  kind: string;
  models: string[];
  embedder: EmbedderInfo;
  /** The tag vocabulary: each row given to predict is the embedding, then one indicator per tag. */
  tags: string[];
  predict(rows: readonly Float32Array[]): Promise<PredictionRows>;
}

/** "js": the kinds' routers in plain JavaScript; "onnxruntime": the MLP's inference graph on onnxruntime. */
export type Inference = "js" | "onnxruntime";

function notRoutable(version: number, error: unknown): FedRouterError {
  return new FedRouterError(
    "no_model",
    `model version ${version} cannot route yet: ${(error as Error).message}; sync again after the next round`,
    { cause: error },
  );
}

/** Refuses rows of another width than the router reads: a mismatched vocabulary or embedder. */
function checkRows(rows: readonly Float32Array[], file: ModelFile): void {
  const width = inputWidth(file);
  for (const row of rows)
    if (row.length !== width)
      throw new FedRouterError(
        "embedder_mismatch",
        `a row has ${row.length} values, the router reads ${width} (a ${file.embedder.dimension}-d embedding and ${tagsOf(file).length} tag indicators)`,
      );
}

function jsPredictor(file: ModelFile, version: number): ModelPredictor {
  let router: Router;
  try {
    router = loadRouter(file);
  } catch (error) {
    throw notRoutable(version, error);
  }
  return {
    kind: file.kind,
    models: file.models,
    embedder: file.embedder,
    tags: tagsOf(file),
    async predict(vectors) {
      checkRows(vectors, file);
      const out: Required<PredictionRows> = { quality: [], cost: [], available: [] };
      for (const vector of vectors) {
        const prediction = router.predict(vector);
        out.quality.push(Float64Array.from(prediction.quality));
        out.cost.push(Float64Array.from(prediction.cost));
        out.available.push(prediction.available);
      }
      return out;
    },
  };
}

async function acceleratedPredictor(
  file: ModelFile,
  version: number,
  compute: LocalCompute,
): Promise<ModelPredictor> {
  const { kind, state } = stateOf(file);
  try {
    kind.router(state);
  } catch (error) {
    throw notRoutable(version, error);
  }
  const predict = await kind.acceleratedPredictor!(state, compute);
  const d = inputWidth(file);
  return {
    kind: file.kind,
    models: file.models,
    embedder: file.embedder,
    tags: tagsOf(file),
    async predict(vectors) {
      if (vectors.length === 0) return { quality: [], cost: [] };
      checkRows(vectors, file);
      const features = new Float32Array(vectors.length * d);
      for (const [i, v] of vectors.entries()) features.set(v, i * d);
      return batchToRows(await predict(features), file.models.length);
    },
  };
}

/**
 * The predictor of a model version. Only kinds with an accelerated predictor use onnxruntime;
 * the others always predict in JavaScript.
 */
export async function createPredictor(
  file: ModelFile,
  version: number,
  inference: Inference,
  compute: () => LocalCompute,
): Promise<ModelPredictor> {
  if (inference === "onnxruntime" && findRouterKind(file.kind)?.acceleratedPredictor)
    return acceleratedPredictor(file, version, compute());
  return jsPredictor(file, version);
}
