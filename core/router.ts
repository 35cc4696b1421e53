// A trained router loaded from its model file: it predicts every model's quality and cost for a
// query vector and applies the routing rule. It refuses vectors from any other embedder.
import { EmbedderMismatchError } from "./embedder/embedder.ts";
import { federatedKMeans, kmeansRouter } from "./kmeans/federated.ts";
import { predictKMeans } from "./kmeans/router.ts";
import { parameterLayout } from "./mlp/layout.ts";
import { predictionFromOutputs } from "./mlp/predict.ts";
import { referenceForward } from "./mlp/reference.ts";
import { mlpFromModelFile, mlpRouter } from "./mlp/router-file.ts";
import type { EmbedderInfo, ModelFile } from "./model-file.ts";
import { type Prediction, type RouteDecision, type RouteOptions, route } from "./routing.ts";

export interface Router {
  kind: string;
  embedder: EmbedderInfo;
  models: string[];
  predict(vector: Float32Array): Prediction;
}

/** Turns a model file into a router, per kind. Kinds register here (MLP adds its own). */
export type RouterLoader = (file: ModelFile) => Router;

const loaders = new Map<string, RouterLoader>([
  [
    "kmeans",
    (file) => {
      const router = kmeansRouter(federatedKMeans.fromModelFile(file));
      return {
        kind: "kmeans",
        embedder: file.embedder,
        models: file.models,
        predict: (vector) => predictKMeans(router, vector),
      };
    },
  ],
  [
    "mlp",
    (file) => {
      const router = mlpRouter(mlpFromModelFile(file));
      const layout = parameterLayout(router.shape);
      // The plain forward pass, with the weights widened once rather than on every query.
      const params = Float64Array.from(router.params);
      return {
        kind: "mlp",
        embedder: file.embedder,
        models: file.models,
        predict: (vector) => {
          const outputs = referenceForward(layout, params, vector, 1, null);
          const { quality, cost, available } = predictionFromOutputs(
            router,
            outputs.qualityLogit,
            outputs.costOutput,
            1,
          );
          return { quality, cost, ...(available ? { available } : {}) };
        },
      };
    },
  ],
]);

export function registerRouterKind(kind: string, loader: RouterLoader): void {
  loaders.set(kind, loader);
}

export function loadRouter(file: ModelFile): Router {
  const loader = loaders.get(file.kind);
  if (!loader)
    throw new RangeError(
      `no router of kind "${file.kind}" is known (known: ${[...loaders.keys()].join(", ")})`,
    );
  return loader(file);
}

/**
 * Routes one query vector. `embedder` names the embedder that produced the vector; a router
 * trained with another embedder refuses it rather than return a meaningless choice.
 */
export function routeVector(
  router: Router,
  vector: Float32Array,
  embedder: EmbedderInfo,
  options: RouteOptions = {},
): RouteDecision {
  if (embedder.id !== router.embedder.id || embedder.dimension !== router.embedder.dimension) {
    throw new EmbedderMismatchError(
      `router expects vectors from ${router.embedder.id} (${router.embedder.dimension}-d), got ${embedder.id} (${embedder.dimension}-d)`,
    );
  }
  if (vector.length !== router.embedder.dimension) {
    throw new EmbedderMismatchError(
      `vector has ${vector.length} dimensions, the router expects ${router.embedder.dimension}`,
    );
  }
  return route(router.models, router.predict(vector), options);
}
