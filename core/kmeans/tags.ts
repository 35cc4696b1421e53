// Context tags in the K-means router: a feature row is the query's embedding followed by one 0/1
// indicator per vocabulary tag, and the statistics keep one slot per tag in every cluster.
import type { KMeansState } from "./state.ts";

/** Tag slots per cluster: one for untagged queries, one per vocabulary tag. */
export function tagSlots(tagCount: number): number {
  return tagCount > 0 ? tagCount + 1 : 1;
}

/** The vocabulary tags a feature row carries (their indicators follow the embedding). */
export function rowTags(features: Float32Array, row: number, dimension: number, tagCount: number): number[] {
  const tags: number[] = [];
  const offset = row * (dimension + tagCount) + dimension;
  for (let t = 0; t < tagCount; t++) if (features[offset + t]! > 0.5) tags.push(t);
  return tags;
}

/** Rows of the statistics: clusters times tag slots. */
export function statsRows(state: KMeansState): number {
  return state.size * tagSlots(state.config.tags.length);
}
