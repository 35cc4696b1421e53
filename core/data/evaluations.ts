// What a client holds for training: feature vectors of its queries and the sparse cells it has
// judged. Routers train on this shape; it never leaves the client.
import type { Benchmark } from "./benchmark.ts";

export interface EvaluationSet {
  n: number;
  /** Width of a row: the embedding's dimension plus one per tag of the vocabulary, if any. */
  dimension: number;
  modelCount: number;
  /** Row-major [query][feature]: the embedding, then the tag indicators (core/routers/tags.ts). */
  features: Float32Array;
  /** Row-major [query][model]; meaningful only where `observed` is 1. */
  quality: Float32Array;
  /** Row-major [query][model], USD; meaningful only where `observed` is 1. */
  cost: Float32Array;
  /** Row-major [query][model]: 1 where this cell's evaluation is known. */
  observed: Uint8Array;
  /**
   * Row-major [query][model]: each observed cell's training weight (inverse propensity, clipped
   * and self-normalised: core/exploration.ts); absent: every observation weighs 1.
   */
  weight?: Float32Array;
}

/** An evaluation set of `n` queries with every cell unobserved and zero features, to be filled. */
export function emptyEvaluationSet(n: number, dimension: number, modelCount: number): EvaluationSet {
  return {
    n,
    dimension,
    modelCount,
    features: new Float32Array(n * dimension),
    quality: new Float32Array(n * modelCount),
    cost: new Float32Array(n * modelCount),
    observed: new Uint8Array(n * modelCount),
  };
}

/**
 * Builds an evaluation set from a benchmark's rows and their features. `keep(row, model)`
 * decides which cells are observed (the paper's protocol keeps one per training query).
 */
export function evaluationSet(
  benchmark: Benchmark,
  features: readonly Float32Array[],
  keep: (row: number, model: number) => boolean = () => true,
): EvaluationSet {
  const n = benchmark.ids.length;
  const m = benchmark.models.length;
  if (features.length !== n) throw new RangeError(`${features.length} feature vectors for ${n} queries`);
  const dimension = features[0]?.length ?? 0;
  const set = emptyEvaluationSet(n, dimension, m);
  for (let q = 0; q < n; q++) {
    const vector = features[q] as Float32Array;
    if (vector.length !== dimension)
      throw new RangeError(`feature vector ${q} has ${vector.length} dimensions`);
    set.features.set(vector, q * dimension);
    for (let j = 0; j < m; j++) {
      if (!keep(q, j)) continue;
      set.observed[q * m + j] = 1;
      set.quality[q * m + j] = benchmark.quality[q * m + j]!;
      set.cost[q * m + j] = benchmark.cost[q * m + j]!;
    }
  }
  return set;
}

/** Concatenates evaluation sets with the same dimension and models (the centralised reference). */
export function concatEvaluationSets(sets: readonly EvaluationSet[]): EvaluationSet {
  const first = sets[0];
  if (!first) throw new RangeError("nothing to concatenate");
  const { dimension, modelCount } = first;
  const n = sets.reduce((s, e) => s + e.n, 0);
  const out = emptyEvaluationSet(n, dimension, modelCount);
  let row = 0;
  for (const set of sets) {
    if (set.dimension !== dimension || set.modelCount !== modelCount)
      throw new RangeError("sets differ in shape");
    out.features.set(set.features, row * dimension);
    out.quality.set(set.quality, row * modelCount);
    out.cost.set(set.cost, row * modelCount);
    out.observed.set(set.observed, row * modelCount);
    if (set.weight) {
      out.weight ??= new Float32Array(n * modelCount).fill(1);
      out.weight.set(set.weight, row * modelCount);
    } else out.weight?.fill(1, row * modelCount, (row + set.n) * modelCount);
    row += set.n;
  }
  return out;
}
