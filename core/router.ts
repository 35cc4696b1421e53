// Routes one query vector with a loaded router (core/routers/registry.ts loads one from a model
// file). It refuses vectors from any other embedder.
import { EmbedderMismatchError } from "./embedder/embedder.ts";
import type { EmbedderInfo } from "./model-file.ts";
import type { Router } from "./routers/kind.ts";
import { rowWidth } from "./routers/tags.ts";
import { type RouteDecision, type RouteOptions, route } from "./routing.ts";

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
  // The row is the embedding and then one indicator per tag of the router's vocabulary.
  const width = rowWidth(router.embedder.dimension, router.tags);
  if (vector.length !== width) {
    throw new EmbedderMismatchError(
      `vector has ${vector.length} dimensions, the router expects ${width} (${router.embedder.dimension}-d embedding, ${width - router.embedder.dimension} tag indicators)`,
    );
  }
  return route(router.models, router.predict(vector), options);
}
