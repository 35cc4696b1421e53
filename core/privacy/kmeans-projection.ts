// Private K-means in a public random subspace, an option of the DP experiment (`--projection k`).
// Under client-level DP every element of a centroid sum gets noise of the same size, so a 1,024-d
// sum carries √(1024/k) times the noise of a k-d one. A random subspace clusters differently,
// though (0.013 to 0.055 AUC below non-private at negligible noise), and with the units of
// kmeans-clip.ts the embedding itself does better: private runs and real rounds cluster there.
//
// The subspace is spanned by k orthonormal rows P (a seeded Gaussian matrix, orthonormalised), a
// function of the federation's public configuration only, so every client computes the same one.
// Clients send sums of Px; the router keeps d-dimensional centroids Pᵀc. Because P Pᵀ = I,
// |x - Pᵀc|² = |Px - c|² + (|x|² - |Px|²): the second term is the same for every cluster, so the
// d-dimensional router assigns (hard, and soft, which reads distance differences) exactly as the
// clustering in the subspace did, and the router file and routing code are unchanged.
import type { EvaluationSet } from "../data/evaluations.ts";
import type { FederatedAlgorithm } from "../federated.ts";
import type { KMeansState } from "../kmeans/state.ts";
import { fmix32, normal, seededRandom } from "../random.ts";

/** A public projection from `from` to `to` dimensions: `to` orthonormal rows, row-major. */
export interface PublicProjection {
  readonly from: number;
  readonly to: number;
  readonly rows: Float64Array;
}

/**
 * The projection a federation's clients all derive: Gaussian rows from the public seed,
 * orthonormalised by Gram-Schmidt (twice, for rounding), so that P Pᵀ = I.
 */
export function publicProjection(seed: number, from: number, to: number): PublicProjection {
  if (!(Number.isInteger(to) && to >= 1 && to <= from))
    throw new RangeError(`a projection to ${to} dimensions from ${from} needs 1 <= to <= from`);
  const random = seededRandom(fmix32(seed ^ 0x706a6374));
  const rows = Float64Array.from({ length: to * from }, () => normal(random));
  for (let r = 0; r < to; r++) {
    const row = rows.subarray(r * from, (r + 1) * from);
    for (let sweep = 0; sweep < 2; sweep++) {
      for (let s = 0; s < r; s++) {
        const other = rows.subarray(s * from, (s + 1) * from);
        let dot = 0;
        for (let i = 0; i < from; i++) dot += row[i]! * other[i]!;
        for (let i = 0; i < from; i++) row[i]! -= dot * other[i]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < from; i++) norm += row[i]! ** 2;
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < from; i++) row[i]! *= scale;
  }
  return { from, to, rows };
}

/** Rows of `from` values (each `width` wide, the first `from` projected, the rest kept) projected. */
export function projectRows(projection: PublicProjection, values: Float32Array, width = projection.from) {
  const { from, to, rows } = projection;
  const n = values.length / width;
  const kept = width - from;
  const out = new Float32Array(n * (to + kept));
  for (let q = 0; q < n; q++) {
    const x = values.subarray(q * width, q * width + from);
    for (let r = 0; r < to; r++) {
      let dot = 0;
      for (let i = 0; i < from; i++) dot += rows[r * from + i]! * x[i]!;
      out[q * (to + kept) + r] = dot;
    }
    out.set(values.subarray(q * width + from, (q + 1) * width), q * (to + kept) + to);
  }
  return out;
}

/** Rows of `to` values lifted back to `from` dimensions: Pᵀc. */
export function liftRows(projection: PublicProjection, values: Float32Array): Float32Array {
  const { from, to, rows } = projection;
  const n = values.length / to;
  const out = new Float32Array(n * from);
  for (let q = 0; q < n; q++) {
    for (let i = 0; i < from; i++) {
      let sum = 0;
      for (let r = 0; r < to; r++) sum += rows[r * from + i]! * values[q * to + r]!;
      out[q * from + i] = sum;
    }
  }
  return out;
}

/** The state as the clustering in the subspace sees it. */
function projectedState(state: KMeansState, projection: PublicProjection): KMeansState {
  if (state.joinBase) throw new RangeError("joining organisations do not cluster in a projection");
  const { config } = state;
  return {
    ...state,
    config: { ...config, embedder: { ...config.embedder, dimension: projection.to } },
    centroids: projectRows(projection, state.centroids),
    ...(state.directions ? { directions: projectRows(projection, state.directions) } : {}),
  };
}

/** The subspace's state back in the embedding's dimensions (centroids and directions Pᵀc). */
function liftedState(inner: KMeansState, outer: KMeansState, projection: PublicProjection): KMeansState {
  return {
    ...inner,
    config: outer.config,
    centroids: liftRows(projection, inner.centroids),
    ...(inner.directions ? { directions: liftRows(projection, inner.directions) } : {}),
  };
}

/**
 * K-means whose passes run in the subspace: each client projects its embeddings (tag indicators
 * kept) and contributes the k-dimensional sums; the global state stays in the embedding's
 * dimensions, its centroids in the subspace's span, so the router is an ordinary K-means router.
 */
export function projectedKMeans(
  algorithm: FederatedAlgorithm<KMeansState, EvaluationSet>,
  projection: PublicProjection,
): FederatedAlgorithm<KMeansState, EvaluationSet> {
  const projectedSets = new WeakMap<EvaluationSet, EvaluationSet>();
  const projectSet = (set: EvaluationSet): EvaluationSet => {
    let projected = projectedSets.get(set);
    if (!projected) {
      projected = {
        ...set,
        dimension: set.dimension - projection.from + projection.to,
        features: projectRows(projection, set.features, set.dimension),
      };
      projectedSets.set(set, projected);
    }
    return projected;
  };
  // Every participant of a pass reads the same global state: projected once per state.
  const projectedStates = new WeakMap<KMeansState, KMeansState>();
  const inner = (state: KMeansState): KMeansState => {
    if (state.config.embedder.dimension !== projection.from)
      throw new RangeError(
        `the projection is from ${projection.from} dimensions, the embedder has ${state.config.embedder.dimension}`,
      );
    let projected = projectedStates.get(state);
    if (!projected) {
      projected = projectedState(state, projection);
      projectedStates.set(state, projected);
    }
    return projected;
  };
  return {
    ...algorithm,
    contributionLength: (global) => algorithm.contributionLength(inner(global)),
    contribute: (global, data, random) => algorithm.contribute(inner(global), projectSet(data), random),
    finalise: (global, total) => liftedState(algorithm.finalise(inner(global), total), global, projection),
    done: (global) => algorithm.done(global),
  };
}
