// What the MLP trains on: a client's feature vectors and its sparse (query, model) cells. It is
// the same shape as the evaluation set every router family reads, checked once at the boundary.
import type { EvaluationSet } from "../data/evaluations.ts";

/** Row-major features (n x d) and per-cell quality, raw USD cost and observed flags (n x M). */
export type MlpTrainingSet = EvaluationSet;

/** Builds a training set from its arrays, checking every length. */
export function mlpTrainingSet(fields: MlpTrainingSet): MlpTrainingSet {
  checkTrainingSet(fields);
  return fields;
}

export function checkTrainingSet(set: MlpTrainingSet): void {
  const { n, dimension: d, modelCount: m } = set;
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (set.features.length !== n * d)
    throw new RangeError(`features has ${set.features.length} values, expected ${n}x${d}`);
  for (const key of ["quality", "cost", "observed"] as const) {
    if (set[key].length !== n * m)
      throw new RangeError(`${key} has ${set[key].length} values, expected ${n}x${m}`);
  }
}

/** Observed cells per model: the weights of per-head federated averaging. */
export function observedPerModel(set: MlpTrainingSet): Float64Array {
  const counts = new Float64Array(set.modelCount);
  for (let q = 0; q < set.n; q++) {
    for (let j = 0; j < set.modelCount; j++) counts[j]! += set.observed[q * set.modelCount + j]!;
  }
  return counts;
}
