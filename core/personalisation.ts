// Adaptive personalisation: per client and per model, a mixture of the federated router and the
// client's own local router, weighted separately for quality and cost by inverse error on the
// client's own observed cells (no new LLM calls):
//   w_global = (1/err_global) / (1/err_global + 1/err_local), 0.5 for a model never observed.
//
// How the errors are estimated (chosen by measurement, see docs/personalisation.md):
// - the local router was fitted to the very cells it is judged on, so its in-sample error is
//   optimistic (0.13 against 0.30 held out for K-means, 0.15 against 0.20 for the MLP) and would
//   hand it the weight; its error is measured by k-fold cross-validation over the client's cells
//   (default 5 folds);
// - the federated router's error is measured in-sample on all of the client's cells: the client
//   is one of many that trained it; held-out estimates (retraining the federation without each
//   fold) were only 3.5-7% higher and moved no client's outcome for the better;
// - every observed cell counts, including those where a router makes no prediction, scored as
//   a prediction of quality 0 at 0 USD (what a K-means cell with no evaluations reports; an MLP
//   reports its untrained head there, so the rule is applied, not assumed): excluding them let a
//   sparse local router win models on a handful of lucky cells and lost clients;
// - each model's error is shrunk towards the router's error pooled over the client's models,
//   with `shrinkage` pseudo-cells (default 10): a model seen on a few cells with the same outcome
//   gets an error near 0 from a local router that starts at the mean (the MLP's quality prior),
//   which would hand the local router all of that model's weight; shrinkage keeps such models
//   near the client's overall comparison and fades as the model's cells grow.
// Quality errors are squared errors on the quality scale, cost errors on log1p(USD).
import { type EvaluationSet, emptyEvaluationSet } from "./data/evaluations.ts";
import type { BatchPrediction, BatchPredictor } from "./prediction.ts";

export interface MixtureWeights {
  /** Per model: weight of the federated router's predicted quality (the local one gets 1 - w). */
  quality: Float64Array;
  /** Per model: weight of the federated router's predicted cost. */
  cost: Float64Array;
}

/**
 * w_global = (1/err_global) / (1/err_global + 1/err_local); 0.5 where the client never observed
 * the model. An error of zero takes all the weight (both zero: an even split).
 */
export function inverseErrorWeight(errGlobal: number, errLocal: number): number {
  if (!(Number.isFinite(errGlobal) && Number.isFinite(errLocal))) return 0.5;
  if (errGlobal === 0 && errLocal === 0) return 0.5;
  if (errGlobal === 0) return 1;
  if (errLocal === 0) return 0;
  return 1 / errGlobal / (1 / errGlobal + 1 / errLocal);
}

/**
 * Mean squared training errors per model over the observed cells: quality on its own scale, cost
 * on log1p(USD) (costs span orders of magnitude). A cell the router does not predict counts as
 * quality 0 at 0 USD. NaN for a model with no observed cell.
 */
export function trainingErrors(
  predicted: BatchPrediction,
  observed: Uint8Array,
  quality: ArrayLike<number>,
  cost: ArrayLike<number>,
  modelCount: number,
): { quality: Float64Array; cost: Float64Array } {
  const n = observed.length / modelCount;
  const q = new Float64Array(modelCount);
  const c = new Float64Array(modelCount);
  const count = new Float64Array(modelCount);
  for (let row = 0; row < n; row++) {
    for (let j = 0; j < modelCount; j++) {
      const cell = row * modelCount + j;
      if (!observed[cell]) continue;
      count[j]! += 1;
      const predicts = predicted.available ? predicted.available[cell] !== 0 : true;
      const pq = predicts ? predicted.quality[cell]! : 0;
      const pc = predicts ? Math.max(0, predicted.cost[cell]!) : 0;
      q[j]! += (pq - quality[cell]!) ** 2;
      c[j]! += (Math.log1p(pc) - Math.log1p(cost[cell]!)) ** 2;
    }
  }
  for (let j = 0; j < modelCount; j++) {
    q[j] = count[j]! > 0 ? q[j]! / count[j]! : Number.NaN;
    c[j] = count[j]! > 0 ? c[j]! / count[j]! : Number.NaN;
  }
  return { quality: q, cost: c };
}

export function mixtureWeights(
  global: { quality: Float64Array; cost: Float64Array },
  local: { quality: Float64Array; cost: Float64Array },
): MixtureWeights {
  const m = global.quality.length;
  return {
    quality: Float64Array.from({ length: m }, (_, j) =>
      inverseErrorWeight(global.quality[j]!, local.quality[j]!),
    ),
    cost: Float64Array.from({ length: m }, (_, j) => inverseErrorWeight(global.cost[j]!, local.cost[j]!)),
  };
}

/** A fixed mixture (the paper's 0.5/0.5 variant) for comparison. */
export function fixedWeights(modelCount: number, weight = 0.5): MixtureWeights {
  return {
    quality: new Float64Array(modelCount).fill(weight),
    cost: new Float64Array(modelCount).fill(weight),
  };
}

/**
 * Two routers' predictions combined cell by cell: `both` where both predict (model j of the cell),
 * the one router's prediction where only one does, and an unavailable 0 where neither does.
 */
export function combinePredictions(
  federated: BatchPrediction,
  local: BatchPrediction,
  models: number,
  both: (cell: number, j: number) => { quality: number; cost: number },
): BatchPrediction {
  const cells = federated.quality.length;
  const quality = new Float64Array(cells);
  const cost = new Float64Array(cells);
  const available = new Uint8Array(cells);
  for (let cell = 0; cell < cells; cell++) {
    const g = federated.available ? federated.available[cell]! : 1;
    const l = local.available ? local.available[cell]! : 1;
    if (!g && !l) continue;
    if (g && l) {
      const value = both(cell, cell % models);
      quality[cell] = value.quality;
      cost[cell] = value.cost;
    } else {
      const only = g ? federated : local;
      quality[cell] = only.quality[cell]!;
      cost[cell] = only.cost[cell]!;
    }
    available[cell] = 1;
  }
  return { quality, cost, available };
}

/**
 * Mixes two routers' predictions with weights on the global one. Where only one router can
 * predict a model, that one is used; where neither can, the model stays unavailable.
 */
export function mixPredictions(
  global: BatchPrediction,
  local: BatchPrediction,
  weights: MixtureWeights,
): BatchPrediction {
  return combinePredictions(global, local, weights.quality.length, (cell, j) => {
    const wq = weights.quality[j]!;
    const wc = weights.cost[j]!;
    return {
      quality: wq * global.quality[cell]! + (1 - wq) * local.quality[cell]!,
      cost: wc * global.cost[cell]! + (1 - wc) * local.cost[cell]!,
    };
  });
}

export interface PersonalisationOptions {
  /** Folds of the local router's cross-validated error (default 5). */
  folds?: number;
  /** Pseudo-cells of shrinkage towards the pooled error (default 10; 0: none). */
  shrinkage?: number;
}

export const PERSONALISATION_DEFAULTS = { folds: 5, shrinkage: 10 };

export interface RouterErrors {
  quality: Float64Array;
  cost: Float64Array;
}

/** The rows of a set, in the given order, as a set of the same shape. */
export function selectRows(set: EvaluationSet, rows: readonly number[]): EvaluationSet {
  const { dimension: d, modelCount: m } = set;
  const out = emptyEvaluationSet(rows.length, d, m);
  for (const [i, r] of rows.entries()) {
    out.features.set(set.features.subarray(r * d, r * d + d), i * d);
    out.quality.set(set.quality.subarray(r * m, r * m + m), i * m);
    out.cost.set(set.cost.subarray(r * m, r * m + m), i * m);
    out.observed.set(set.observed.subarray(r * m, r * m + m), i * m);
  }
  return out;
}

/** Observed cells per model. */
export function observedCounts(set: EvaluationSet): Float64Array {
  const counts = new Float64Array(set.modelCount);
  for (let cell = 0; cell < set.observed.length; cell++)
    counts[cell % set.modelCount]! += set.observed[cell]!;
  return counts;
}

/**
 * Per-model errors of routers trained without each fold (rows r with r % k = fold) and measured
 * on that fold, pooled over the folds cell by cell.
 */
export async function crossValidatedErrors(
  train: (set: EvaluationSet) => Promise<BatchPredictor>,
  set: EvaluationSet,
  folds: number,
): Promise<RouterErrors> {
  const m = set.modelCount;
  const sums = { quality: new Float64Array(m), cost: new Float64Array(m), count: new Float64Array(m) };
  const k = Math.min(folds, set.n);
  const rows = Array.from({ length: set.n }, (_, r) => r);
  for (let fold = 0; fold < k; fold++) {
    const heldOut = rows.filter((r) => r % k === fold);
    const kept = rows.filter((r) => r % k !== fold);
    if (heldOut.length === 0 || kept.length === 0) continue;
    const test = selectRows(set, heldOut);
    const predict = await train(selectRows(set, kept));
    const errors = trainingErrors(await predict(test.features), test.observed, test.quality, test.cost, m);
    const counts = observedCounts(test);
    for (let j = 0; j < m; j++) {
      if (counts[j] === 0 || Number.isNaN(errors.quality[j]!)) continue;
      sums.quality[j]! += errors.quality[j]! * counts[j]!;
      sums.cost[j]! += errors.cost[j]! * counts[j]!;
      sums.count[j]! += counts[j]!;
    }
  }
  const mean = (v: Float64Array) => v.map((x, j) => (sums.count[j]! > 0 ? x / sums.count[j]! : Number.NaN));
  return { quality: mean(sums.quality), cost: mean(sums.cost) };
}

/**
 * Per-model errors shrunk towards the router's error pooled over all of the client's observed
 * cells: (n_m err_m + k pooled) / (n_m + k). Models never observed stay NaN (weight 0.5).
 */
export function shrinkErrors(
  errors: RouterErrors,
  counts: ArrayLike<number>,
  strength: number,
): RouterErrors {
  if (!(strength > 0)) return { quality: errors.quality.slice(), cost: errors.cost.slice() };
  const shrink = (e: Float64Array) => {
    let total = 0;
    let cells = 0;
    for (let j = 0; j < e.length; j++) {
      if (!(counts[j]! > 0) || !Number.isFinite(e[j]!)) continue;
      total += counts[j]! * e[j]!;
      cells += counts[j]!;
    }
    if (cells === 0) return e.slice();
    const pooled = total / cells;
    return e.map((x, j) =>
      counts[j]! > 0 && Number.isFinite(x)
        ? (counts[j]! * x + strength * pooled) / (counts[j]! + strength)
        : x,
    );
  };
  return { quality: shrink(errors.quality), cost: shrink(errors.cost) };
}

export interface AdaptiveMixture {
  weights: MixtureWeights;
  /** The errors the weights came from (federated in-sample, local cross-validated). */
  errors: { global: RouterErrors; local: RouterErrors };
}

/**
 * The adaptive mixture's weights for one client: the federated router's error on the client's
 * cells, the local router's by cross-validation (`trainLocal` trains a local router on a subset).
 */
export async function adaptiveMixture(
  global: BatchPredictor,
  trainLocal: (set: EvaluationSet) => Promise<BatchPredictor>,
  set: EvaluationSet,
  options: PersonalisationOptions = {},
): Promise<AdaptiveMixture> {
  const { folds } = { ...PERSONALISATION_DEFAULTS, ...options };
  const localErrors = await crossValidatedErrors(trainLocal, set, folds);
  return adaptiveMixtureOf(await global(set.features), localErrors, set, options);
}

/**
 * The same weights from the federated router's predictions on the client's rows and the local
 * router's cross-validated errors (for instance `trainingErrors` of held-out predictions, which
 * pool over the folds exactly as `crossValidatedErrors` does).
 */
export function adaptiveMixtureOf(
  global: BatchPrediction,
  localErrors: RouterErrors,
  set: EvaluationSet,
  options: PersonalisationOptions = {},
): AdaptiveMixture {
  const { shrinkage } = { ...PERSONALISATION_DEFAULTS, ...options };
  const m = set.modelCount;
  const globalErrors = trainingErrors(global, set.observed, set.quality, set.cost, m);
  const counts = observedCounts(set);
  const errors = {
    global: shrinkErrors(globalErrors, counts, shrinkage),
    local: shrinkErrors(localErrors, counts, shrinkage),
  };
  return { weights: mixtureWeights(errors.global, errors.local), errors };
}

/** A predictor mixing two routers' predictions with fixed weights. */
export function mixedPredictor(
  global: BatchPredictor,
  local: BatchPredictor,
  weights: MixtureWeights,
): BatchPredictor {
  return async (features) => mixPredictions(await global(features), await local(features), weights);
}
