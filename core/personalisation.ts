// Adaptive personalisation: per client and per model, a mixture of the federated router and the
// client's own local router, weighted separately for quality and cost by inverse training error
// on the client's own observed cells (no new LLM calls).

/** Row-major [query][model] predictions of one router. */
export interface Predictions {
  quality: Float64Array;
  cost: Float64Array;
  available: Uint8Array | null;
}

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
 * on log1p(USD) (costs span orders of magnitude). NaN for a model with no observed cell.
 */
export function trainingErrors(
  predicted: Predictions,
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
      q[j]! += (predicted.quality[cell]! - quality[cell]!) ** 2;
      c[j]! += (Math.log1p(Math.max(0, predicted.cost[cell]!)) - Math.log1p(cost[cell]!)) ** 2;
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
 * Mixes two routers' predictions. Where only one router can predict a model, that one is used;
 * where neither can, the model stays unavailable.
 */
export function mixPredictions(
  global: Predictions,
  local: Predictions,
  weights: MixtureWeights,
): Predictions {
  const m = weights.quality.length;
  const cells = global.quality.length;
  const quality = new Float64Array(cells);
  const cost = new Float64Array(cells);
  const available = new Uint8Array(cells);
  for (let cell = 0; cell < cells; cell++) {
    const j = cell % m;
    const g = global.available ? global.available[cell]! : 1;
    const l = local.available ? local.available[cell]! : 1;
    const wq = g && l ? weights.quality[j]! : g ? 1 : 0;
    const wc = g && l ? weights.cost[j]! : g ? 1 : 0;
    quality[cell] = wq * (g ? global.quality[cell]! : 0) + (1 - wq) * (l ? local.quality[cell]! : 0);
    cost[cell] = wc * (g ? global.cost[cell]! : 0) + (1 - wc) * (l ? local.cost[cell]! : 0);
    available[cell] = g || l ? 1 : 0;
  }
  return { quality, cost, available };
}
