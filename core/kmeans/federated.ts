// Federated K-means from sums only. The clustering grows by bisection: start from the global
// mean, split the clusters with the largest squared error along their principal direction, and
// refine with Lloyd passes in which each client sends, per cluster, its count, squared error and
// vector sum. The principal direction comes from power iteration, one pass per step, each
// client sending per splitting cluster the sum of ((x - c) . v) (x - c). No pass needs one
// client's own data, so no client's points or local centroids are ever seen. A last pass sums
// per (cluster, model) quality, cost and counts.
import type { EvaluationSet } from "../data/evaluations.ts";
import type { FederatedAlgorithm } from "../federated.ts";
import type { ModelFile } from "../model-file.ts";
import { normal, seededRandom } from "../random.ts";
import { embeddingColumns } from "../routers/tags.ts";
import { boundedFeatures, centroidsFromSums, lloydSums, nearestCentroid } from "./geometry.ts";
import { distilledStats, finishJoiningClustering } from "./join.ts";
import { type KMeansRouter, mergeStatsColumns, STATS_PARTS, statsFromSums, statsSums } from "./router.ts";
import { KMEANS_KIND, type KMeansPhase, type KMeansState } from "./state.ts";
import { statsRows } from "./tags.ts";

export {
  JOINING_CLUSTER_SHARE,
  joinClusters,
  startJoin,
} from "./join.ts";
export {
  initialKMeansState,
  KMEANS_DEFAULTS,
  type KMeansConfig,
  type KMeansState,
} from "./state.ts";

/** The clusters to split next: those with the largest squared error, up to the target size. */
function chooseSplits(state: KMeansState, lloyd: Float64Array): number[] {
  const stride = state.config.embedder.dimension + 2;
  const target = Math.min(state.config.clusters, state.size * 2);
  return Array.from({ length: state.size }, (_, k) => k)
    .sort((a, b) => lloyd[b * stride + 1]! - lloyd[a * stride + 1]! || a - b)
    .slice(0, target - state.size)
    .filter((k) => lloyd[k * stride]! > 1 && lloyd[k * stride + 1]! > 0);
}

/** Public random starting directions for power iteration (they reveal nothing about clients). */
function startDirections(state: KMeansState, count: number): Float32Array {
  const d = state.config.embedder.dimension;
  const random = seededRandom(state.config.seed * 7919 + state.size);
  return Float32Array.from({ length: count * d }, () => normal(random));
}

/**
 * One client's power-iteration sums: per splitting cluster, [count, sum over its points of
 * ((x - c) . v) (x - c)], with v the cluster's current direction.
 */
export function powerSums(
  features: Float32Array,
  centroids: Float32Array,
  size: number,
  splitting: readonly number[],
  directions: Float32Array,
  dimension: number,
): Float64Array {
  const stride = dimension + 1;
  const sums = new Float64Array(splitting.length * stride);
  const slot = new Map(splitting.map((k, s) => [k, s]));
  const n = features.length / dimension;
  for (let q = 0; q < n; q++) {
    const { cluster } = nearestCentroid(features, q, centroids, size, dimension);
    const s = slot.get(cluster);
    if (s === undefined) continue;
    let projection = 0;
    for (let i = 0; i < dimension; i++) {
      projection +=
        (features[q * dimension + i]! - centroids[cluster * dimension + i]!) * directions[s * dimension + i]!;
    }
    sums[s * stride]! += 1;
    for (let i = 0; i < dimension; i++) {
      sums[s * stride + 1 + i]! +=
        projection * (features[q * dimension + i]! - centroids[cluster * dimension + i]!);
    }
  }
  return sums;
}

/** Normalises each direction; returns each one's length (the variance along it, once converged). */
function normaliseDirections(directions: Float32Array, count: number, dimension: number): Float64Array {
  const lengths = new Float64Array(count);
  for (let s = 0; s < count; s++) {
    let norm = 0;
    for (let i = 0; i < dimension; i++) norm += directions[s * dimension + i]! ** 2;
    lengths[s] = Math.sqrt(norm);
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let i = 0; i < dimension; i++) directions[s * dimension + i]! *= scale;
  }
  return lengths;
}

/**
 * Replaces each splitting cluster by two centroids at +-0.8 standard deviations along its
 * principal direction (the means of the halves of a normal distribution lie at +-0.8 sigma).
 */
function bisect(
  state: KMeansState,
  splitting: readonly number[],
  directions: Float32Array,
  variance: Float64Array,
) {
  const d = state.config.embedder.dimension;
  const centroids = new Float32Array((state.size + splitting.length) * d);
  centroids.set(state.centroids.subarray(0, state.size * d));
  splitting.forEach((k, s) => {
    const step = 0.8 * Math.sqrt(Math.max(0, variance[s]!));
    for (let i = 0; i < d; i++) {
      const c = state.centroids[k * d + i]!;
      const v = directions[s * d + i]!;
      centroids[k * d + i] = c + step * v;
      centroids[(state.size + s) * d + i] = c - step * v;
    }
  });
  return centroids;
}

function finalisePower(state: KMeansState, total: Float64Array): KMeansState {
  const d = state.config.embedder.dimension;
  const splitting = state.splitting ?? [];
  const directions = new Float32Array(splitting.length * d);
  const counts = new Float64Array(splitting.length);
  splitting.forEach((_, s) => {
    counts[s] = total[s * (d + 1)]!;
    for (let i = 0; i < d; i++) directions[s * d + i] = total[s * (d + 1) + 1 + i]! / Math.max(1, counts[s]!);
  });
  // |C v| for a unit v converges to the largest eigenvalue of the cluster's covariance C.
  const variance = normaliseDirections(directions, splitting.length, d);
  const pass = state.pass + 1;
  if (pass < state.config.powerPasses) return { ...state, pass, directions };
  const { splitting: _s, directions: _d, ...rest } = state;
  return {
    ...rest,
    centroids: bisect(state, splitting, directions, variance),
    size: state.size + splitting.length,
    pass: 0,
    lastError: Number.POSITIVE_INFINITY,
    phase: "lloyd",
  };
}

export const federatedKMeans: FederatedAlgorithm<KMeansState, EvaluationSet> = {
  contributionLength(state) {
    const d = state.config.embedder.dimension;
    const rows = statsRows(state);
    if (state.phase === "lloyd") return state.size * (d + 2);
    if (state.phase === "power") return (state.splitting?.length ?? 0) * (d + 1);
    if (state.phase === "extend") return STATS_PARTS * rows * (state.added ?? 0);
    if (state.phase === "join") return STATS_PARTS * rows * state.config.models.length;
    if (state.phase === "stats") return STATS_PARTS * rows * state.config.models.length;
    return 0;
  },

  contribute(state, given) {
    const d = state.config.embedder.dimension;
    const tagCount = state.config.tags.length;
    if (given.dimension !== d + tagCount) {
      throw new RangeError(
        `client features have ${given.dimension} dimensions, expected ${d + tagCount} (${d}-d embedding, ${tagCount} tag indicators)`,
      );
    }
    if (given.modelCount !== state.config.models.length) throw new RangeError("client model count differs");
    // Points beyond unit length are scaled down: the edge refuses sums that unit vectors cannot make.
    const embeddings = boundedFeatures(embeddingColumns(given.features, d + tagCount, d), d);
    const data = { ...given, features: withTags(embeddings, given.features, d, tagCount) };
    if (state.phase === "lloyd") return lloydSums(embeddings, null, state.centroids, state.size, d);
    if (state.phase === "power") {
      return powerSums(embeddings, state.centroids, state.size, state.splitting ?? [], state.directions!, d);
    }
    if (state.phase === "stats" || state.phase === "join")
      return statsSums(data, state.centroids, state.size, undefined, tagCount);
    if (state.phase === "extend")
      return statsSums(data, state.centroids, state.size, addedColumns(state), tagCount);
    throw new RangeError("federated K-means is done: nothing to contribute");
  },

  finalise(state, total) {
    const d = state.config.embedder.dimension;
    if (total.length !== this.contributionLength(state)) {
      throw new RangeError(`total has length ${total.length}, expected ${this.contributionLength(state)}`);
    }
    if (state.phase === "stats") {
      const done: KMeansState = { ...state, phase: "done", stats: Float64Array.from(total) };
      // A joining organisations' clustering has finished: their clusters join the router.
      return state.joinBase ? finishJoiningClustering(done) : done;
    }
    if (state.phase === "power") return finalisePower(state, total);
    if (state.phase === "extend") {
      const added = state.added ?? 0;
      const oldModels = state.config.models.length - added;
      const stats = mergeStatsColumns(state.stats!, total, statsRows(state), oldModels, added);
      const { added: _added, ...rest } = state;
      return { ...rest, phase: "done", stats };
    }
    if (state.phase === "join") {
      const stats = distilledStats(state);
      for (let i = 0; i < stats.length; i++) stats[i]! += total[i]!;
      const { joinedFrom: _joined, joinDistillation: _distillation, ...rest } = state;
      return { ...rest, phase: "done", stats };
    }
    if (state.phase !== "lloyd") throw new RangeError("federated K-means is done");
    const stride = d + 2;
    let error = 0;
    let points = 0;
    for (let k = 0; k < state.size; k++) {
      error += total[k * stride + 1]!;
      points += total[k * stride]!;
    }
    const spread = points > 0 ? error / points : 0;
    const centroids = centroidsFromSums(total, state.centroids, state.size, d);
    const pass = state.pass + 1;
    // At size 1 the first pass gives the mean exactly; later sizes refine until stable.
    const settled =
      state.size === 1 ||
      pass >= state.config.lloydPasses ||
      (Number.isFinite(state.lastError) &&
        state.lastError - error <= state.config.tolerance * state.lastError);
    if (!settled) return { ...state, centroids, pass, lastError: error, spread };
    const splitting = state.size < state.config.clusters ? chooseSplits(state, total) : [];
    if (splitting.length > 0) {
      return {
        ...state,
        centroids,
        pass: 0,
        lastError: error,
        spread,
        phase: "power",
        splitting,
        directions: startDirections(state, splitting.length),
      };
    }
    return { ...state, centroids, pass, lastError: error, spread, phase: "stats" };
  },

  done(state) {
    return state.phase === "done";
  },

  toModelFile(state) {
    const { config } = state;
    return {
      kind: KMEANS_KIND,
      embedder: config.embedder,
      models: config.models,
      ...(config.tags.length > 0 ? { tags: config.tags } : {}),
      meta: {
        phase: state.phase,
        size: state.size,
        pass: state.pass,
        lastError: Number.isFinite(state.lastError) ? state.lastError : null,
        clusters: config.clusters,
        lloydPasses: config.lloydPasses,
        powerPasses: config.powerPasses,
        splitting: state.splitting ?? null,
        added: state.added ?? null,
        joinedFrom: state.joinedFrom ?? null,
        joinDistillation: state.joinDistillation ?? null,
        joinBase: state.joinBase
          ? {
              clusters: state.joinBase.clusters,
              size: state.joinBase.size,
              distillation: state.joinBase.distillation,
            }
          : null,
        tolerance: config.tolerance,
        seed: config.seed,
        prior: config.prior,
        shrinkage: config.shrinkage,
        softness: config.softness,
        spread: state.spread ?? null,
      },
      tensors: {
        centroids: state.centroids,
        ...(state.directions ? { directions: state.directions } : {}),
        ...(state.stats ? { stats: state.stats } : {}),
        ...(state.joinBase
          ? { "join.centroids": state.joinBase.centroids, "join.stats": state.joinBase.stats }
          : {}),
      },
    } satisfies ModelFile;
  },

  fromModelFile(file) {
    if (file.kind !== KMEANS_KIND)
      throw new RangeError(`expected a ${KMEANS_KIND} router file, got ${file.kind}`);
    const meta = file.meta as Record<string, number | string | number[] | null>;
    const centroids = file.tensors.centroids;
    if (!(centroids instanceof Float32Array)) throw new RangeError("kmeans router file lacks centroids");
    const stats = file.tensors.stats;
    return {
      config: {
        clusters: Number(meta.clusters),
        lloydPasses: Number(meta.lloydPasses),
        powerPasses: Number(meta.powerPasses),
        tolerance: Number(meta.tolerance),
        seed: Number(meta.seed),
        prior: Number(meta.prior),
        // Files written before empirical Bayes kept a fixed pseudo-count and no tags.
        shrinkage: meta.shrinkage === "empirical-bayes" ? "empirical-bayes" : "fixed",
        softness: typeof meta.softness === "number" ? meta.softness : 0,
        models: file.models,
        embedder: file.embedder,
        tags: [...(file.tags ?? [])],
      },
      phase: meta.phase as KMeansPhase,
      size: Number(meta.size),
      pass: Number(meta.pass),
      lastError: meta.lastError === null ? Number.POSITIVE_INFINITY : Number(meta.lastError),
      centroids,
      ...(typeof meta.spread === "number" ? { spread: meta.spread } : {}),
      ...(Array.isArray(meta.splitting) ? { splitting: meta.splitting.map(Number) } : {}),
      ...(typeof meta.added === "number" ? { added: meta.added } : {}),
      ...(typeof meta.joinedFrom === "number" ? { joinedFrom: meta.joinedFrom } : {}),
      ...(typeof meta.joinDistillation === "number" ? { joinDistillation: meta.joinDistillation } : {}),
      ...joinBaseFromFile(file),
      ...(file.tensors.directions ? { directions: Float32Array.from(file.tensors.directions) } : {}),
      ...(stats
        ? { stats: meta.shrinkage === undefined ? widenedStats(stats) : Float64Array.from(stats) }
        : {}),
    };
  },
};

/**
 * Statistics of a file written before the sums of squares (three parts): zero squares appended,
 * which its fixed shrinkage never reads.
 */
function widenedStats(stats: ArrayLike<number>): Float64Array {
  const wide = new Float64Array((stats.length / 3) * STATS_PARTS);
  wide.set(stats);
  return wide;
}

/** Rows of `embeddings` followed by the tag indicators of `rows` (the embeddings alone without tags). */
function withTags(embeddings: Float32Array, rows: Float32Array, d: number, tagCount: number): Float32Array {
  if (tagCount === 0) return embeddings;
  const width = d + tagCount;
  const out = Float32Array.from(rows);
  const n = rows.length / width;
  for (let q = 0; q < n; q++) out.set(embeddings.subarray(q * d, (q + 1) * d), q * width);
  return out;
}

/** The trained router kept aside while joining organisations cluster, from a model file. */
function joinBaseFromFile(file: ModelFile): { joinBase?: KMeansState["joinBase"] } {
  const fileMeta = file.meta as {
    joinBase?: { clusters: number; size: number; distillation: number } | null;
    shrinkage?: string;
  };
  const meta = { ...fileMeta.joinBase, shrinkage: fileMeta.shrinkage };
  if (!fileMeta.joinBase) return {};
  const centroids = file.tensors["join.centroids"];
  const stats = file.tensors["join.stats"];
  if (!centroids || !stats) throw new RangeError("kmeans router file lacks the joined router's tensors");
  return {
    joinBase: {
      clusters: Number(meta.clusters),
      size: Number(meta.size),
      distillation: Number(meta.distillation),
      centroids: Float32Array.from(centroids),
      stats: meta.shrinkage === undefined ? widenedStats(stats) : Float64Array.from(stats),
    },
  };
}

/** Indices of the models added since the router was trained (the last `added` ones). */
function addedColumns(state: KMeansState): number[] {
  const total = state.config.models.length;
  const added = state.added ?? 0;
  return Array.from({ length: added }, (_, i) => total - added + i);
}

/**
 * Adds LLMs to a trained router: the clustering and what is known of the old models stay fixed;
 * one "extend" pass then learns only the new (cluster, model) statistics.
 */
export function addModels(state: KMeansState, models: readonly string[]): KMeansState {
  if (state.phase !== "done" || !state.stats)
    throw new RangeError("models can be added to a trained router only");
  const clash = models.filter((m) => state.config.models.includes(m));
  if (clash.length) throw new RangeError(`models already in the router: ${clash.join(", ")}`);
  if (models.length === 0) throw new RangeError("no models to add");
  return {
    ...state,
    config: { ...state.config, models: [...state.config.models, ...models] },
    phase: "extend",
    added: models.length,
  };
}

/** The trained router of a finished state. */
export function kmeansRouter(state: KMeansState): KMeansRouter {
  if (state.phase !== "done" || !state.stats) {
    throw new RangeError(`K-means training is at its ${state.phase} pass, not finished`);
  }
  const { config } = state;
  return {
    dimension: config.embedder.dimension,
    clusterCount: state.size,
    modelCount: config.models.length,
    centroids: state.centroids,
    stats: statsFromSums(state.stats, statsRows(state), config.models.length),
    prior: config.prior,
    shrinkage: config.shrinkage,
    tagCount: config.tags.length,
    softness: config.softness,
    spread: state.spread ?? 0,
  };
}
