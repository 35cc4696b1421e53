// Builds a client's personalised routers from its federated and local routers: the adaptive
// inverse-error mixture, and the fixed 0.5/0.5 mixture for comparison.
//
// The local router was fitted to the very cells it would be judged on, so its training error is
// optimistic and would hand it too much weight. Its error is therefore estimated by k-fold
// cross-validation over the client's own observed cells (still no new LLM calls); the federated
// router's error is measured on all of them.
import type { EvaluationSet } from "../core/data/evaluations.ts";
import { fixedWeights, mixPredictions, mixtureWeights, trainingErrors } from "../core/personalisation.ts";
import type { Predictor } from "./family.ts";

export const CROSS_VALIDATION_FOLDS = 5;

function rowsOf(set: EvaluationSet, rows: number[]): EvaluationSet {
  const { dimension: d, modelCount: m } = set;
  const out: EvaluationSet = {
    n: rows.length,
    dimension: d,
    modelCount: m,
    features: new Float32Array(rows.length * d),
    quality: new Float32Array(rows.length * m),
    cost: new Float32Array(rows.length * m),
    observed: new Uint8Array(rows.length * m),
  };
  for (const [i, r] of rows.entries()) {
    out.features.set(set.features.subarray(r * d, r * d + d), i * d);
    out.quality.set(set.quality.subarray(r * m, r * m + m), i * m);
    out.cost.set(set.cost.subarray(r * m, r * m + m), i * m);
    out.observed.set(set.observed.subarray(r * m, r * m + m), i * m);
  }
  return out;
}

/** Per-model squared errors of a router trained without each fold, measured on that fold. */
async function crossValidatedErrors(
  train: (set: EvaluationSet) => Promise<Predictor>,
  set: EvaluationSet,
  folds: number,
): Promise<{ quality: Float64Array; cost: Float64Array }> {
  const m = set.modelCount;
  const sums = { quality: new Float64Array(m), cost: new Float64Array(m), count: new Float64Array(m) };
  const k = Math.min(folds, set.n);
  for (let fold = 0; fold < k; fold++) {
    const heldOut = Array.from({ length: set.n }, (_, r) => r).filter((r) => r % k === fold);
    const kept = Array.from({ length: set.n }, (_, r) => r).filter((r) => r % k !== fold);
    if (heldOut.length === 0 || kept.length === 0) continue;
    const test = rowsOf(set, heldOut);
    const predict = await train(rowsOf(set, kept));
    const errors = trainingErrors(await predict(test.features), test.observed, test.quality, test.cost, m);
    for (let j = 0; j < m; j++) {
      let observed = 0;
      for (let r = 0; r < test.n; r++) observed += test.observed[r * m + j]!;
      if (observed === 0 || Number.isNaN(errors.quality[j]!)) continue;
      sums.quality[j]! += errors.quality[j]! * observed;
      sums.cost[j]! += errors.cost[j]! * observed;
      sums.count[j]! += observed;
    }
  }
  const mean = (v: Float64Array) => v.map((x, j) => (sums.count[j]! > 0 ? x / sums.count[j]! : Number.NaN));
  return { quality: mean(sums.quality), cost: mean(sums.cost) };
}

export async function personalisedPredictors(
  federated: Predictor,
  local: Predictor,
  train: EvaluationSet,
  trainLocal: (set: EvaluationSet) => Promise<Predictor>,
): Promise<{ adaptive: Predictor; fixed: Predictor }> {
  const m = train.modelCount;
  const globalErrors = trainingErrors(
    await federated(train.features),
    train.observed,
    train.quality,
    train.cost,
    m,
  );
  const localErrors = await crossValidatedErrors(trainLocal, train, CROSS_VALIDATION_FOLDS);
  const weights = mixtureWeights(globalErrors, localErrors);
  const mixed =
    (w: typeof weights): Predictor =>
    async (features) =>
      mixPredictions(await federated(features), await local(features), w);
  return { adaptive: mixed(weights), fixed: mixed(fixedWeights(m)) };
}
