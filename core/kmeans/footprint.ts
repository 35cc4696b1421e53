// The K-means router's footprint: the most clusters its training holds at once (its own, plus a
// trained router kept aside while organisations join) bound its tensors and its contributions.
import type { Footprint } from "../routers/kind.ts";
import { STATS_PARTS } from "./router.ts";
import type { KMeansState } from "./state.ts";
import { tagSlots } from "./tags.ts";

export function kmeansFootprint(state: KMeansState): Footprint {
  const d = state.config.embedder.dimension;
  const m = state.config.models.length;
  const own = Math.max(state.config.clusters, state.size);
  const clusters = own + (state.joinBase?.size ?? 0);
  // Statistics cells: per cluster, one row per tag slot (untagged, then each vocabulary tag).
  const cells = tagSlots(state.config.tags.length) * m;
  return {
    // Centroids (and the split directions, never more rows than clusters still to come) as float32;
    // count, quality and cost sums and squares per (cluster, tag slot, model) as float64.
    tensorBytes: clusters * (4 * d + 8 * STATS_PARTS * cells),
    // A Lloyd pass sends per cluster its count, error and vector sum; a statistics pass per cell
    // its five sums.
    contributionLength: Math.max(own * (d + 2), STATS_PARTS * clusters * cells),
  };
}
