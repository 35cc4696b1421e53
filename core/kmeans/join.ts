// New organisations join a trained K-means router: they cluster their own data among themselves
// (a run of the usual passes, with the trained router kept aside in the state), their clusters
// are appended to the router's, and one "join" pass adds their statistics. What the federation
// knew, its clusters and statistics, stays as it was. Over the edge this is one sequence of
// rounds whose cohort is the joining organisations.
import { nearestCentroid } from "./geometry.ts";
import { STATS_PARTS } from "./router.ts";
import { initialKMeansState, type KMeansState } from "./state.ts";
import { tagSlots } from "./tags.ts";

/** The joining organisations get this share of the router's clusters for their own data. */
export const JOINING_CLUSTER_SHARE = 0.5;

/** Statistics sums over `from` rows laid out for `to` rows (the new ones empty). */
function widenClusters(stats: Float64Array, from: number, to: number, models: number): Float64Array {
  const wide = new Float64Array(STATS_PARTS * to * models);
  for (let part = 0; part < STATS_PARTS; part++) {
    wide.set(stats.subarray(part * from * models, (part + 1) * from * models), part * to * models);
  }
  return wide;
}

/**
 * Default pseudo-observations of the old router given to each joining cluster: none. The
 * federation's knowledge is kept without them (its clusters and statistics stay; a new cluster's
 * thin cells shrink towards the federation-wide means through the router's prior), and seeding
 * new clusters from their nearest old cluster, whose queries come from other tasks, cost the
 * joining organisations AUC at every weight measured (RouterBench new-clients, seeds 1-3, mean
 * over the new organisations: 0.810 at 0, 0.779 at 1, 0.780 at 2 and 4, 0.768 at 8; the base
 * organisations 0.763 to 0.766 throughout). docs/personalisation.md has the table.
 */
export const JOIN_DISTILLATION_WEIGHT = 0;

/**
 * The router's statistics widened to the joined clusters. Each new cluster starts with
 * `joinDistillation` pseudo-observations of what the old router predicts at its centroid (its
 * nearest old cluster's means), the K-means counterpart of distilling from the frozen base
 * model: the joining clients' own evaluations then refine that knowledge.
 */
export function distilledStats(state: KMeansState): Float64Array {
  const from = state.joinedFrom ?? state.size;
  const m = state.config.models.length;
  const d = state.config.embedder.dimension;
  const slots = tagSlots(state.config.tags.length);
  const stats = widenClusters(state.stats!, from * slots, state.size * slots, m);
  const oldCells = from * slots * m;
  const cells = state.size * slots * m;
  const w = state.joinDistillation ?? JOIN_DISTILLATION_WEIGHT;
  if (!(w > 0)) return stats;
  for (let k = from; k < state.size; k++) {
    const { cluster } = nearestCentroid(state.centroids, k, state.centroids, from, d);
    for (let slot = 0; slot < slots; slot++) {
      for (let j = 0; j < m; j++) {
        const at = (cluster * slots + slot) * m + j;
        const to = (k * slots + slot) * m + j;
        const count = state.stats![at]!;
        if (!(count > 0)) continue;
        // w pseudo-observations at the old cell's mean (and mean square).
        stats[to]! += w;
        for (let part = 1; part < STATS_PARTS; part++)
          stats[part * cells + to]! += (w * state.stats![part * oldCells + at]!) / count;
      }
    }
  }
  return stats;
}

/**
 * New organisations join a trained router: the clusters learned from their data alone
 * (`joining`, a finished state over the same models) are appended to the router's, and one
 * "join" pass in which only the joining clients take part adds their statistics. What the
 * federation knew, its clusters and statistics, is kept as it was.
 */
export function joinClusters(
  state: KMeansState,
  joining: KMeansState,
  options: { distillation?: number } = {},
): KMeansState {
  const distillation = options.distillation ?? JOIN_DISTILLATION_WEIGHT;
  if (!(distillation >= 0 && Number.isFinite(distillation)))
    throw new RangeError(`distillation must be a non-negative number, got ${distillation}`);
  if (state.phase !== "done" || !state.stats) throw new RangeError("clients can join a trained router only");
  if (joining.config.models.join("\u0000") !== state.config.models.join("\u0000")) {
    throw new RangeError("the joining clustering has other models than the router");
  }
  const d = state.config.embedder.dimension;
  const centroids = new Float32Array((state.size + joining.size) * d);
  centroids.set(state.centroids.subarray(0, state.size * d));
  centroids.set(joining.centroids.subarray(0, joining.size * d), state.size * d);
  return {
    ...state,
    config: { ...state.config, clusters: state.size + joining.size },
    centroids,
    size: state.size + joining.size,
    phase: "join",
    joinedFrom: state.size,
    joinDistillation: distillation,
  };
}

/**
 * The state in which joining organisations start clustering their own data (JOINING_CLUSTER_SHARE
 * of the router's clusters); when that run's statistics pass ends, `joinClusters` follows.
 */
export function startJoin(trained: KMeansState, options: { distillation?: number } = {}): KMeansState {
  if (trained.phase !== "done" || !trained.stats)
    throw new RangeError("clients can join a trained router only");
  const distillation = options.distillation ?? JOIN_DISTILLATION_WEIGHT;
  if (!(distillation >= 0 && Number.isFinite(distillation)))
    throw new RangeError(`distillation must be a non-negative number, got ${distillation}`);
  const clusters = Math.max(1, Math.round(trained.config.clusters * JOINING_CLUSTER_SHARE));
  return {
    ...initialKMeansState({ ...trained.config, clusters }),
    joinBase: {
      clusters: trained.config.clusters,
      size: trained.size,
      centroids: trained.centroids,
      stats: trained.stats,
      distillation,
    },
  };
}

/** The joining organisations' finished clustering appended to the router kept aside. */
export function finishJoiningClustering(theirs: KMeansState): KMeansState {
  const base = theirs.joinBase;
  if (!base || theirs.phase !== "done") throw new RangeError("no joining clustering has finished");
  const { joinBase: _base, ...clustering } = theirs;
  const trained: KMeansState = {
    ...clustering,
    config: { ...clustering.config, clusters: base.clusters },
    size: base.size,
    centroids: base.centroids,
    stats: base.stats,
  };
  return joinClusters(trained, clustering, { distillation: base.distillation });
}
