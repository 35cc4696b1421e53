// Inference with the TypeScript reference: predicted quality (sigmoid of the logit) and cost in
// USD per (query, model), as a batch prediction (core/prediction.ts).

import type { BatchPrediction } from "../prediction.ts";
import { denormaliseCost, observedModels } from "./cost-normalisation.ts";
import { parameterLayout } from "./layout.ts";
import { referenceForward } from "./reference.ts";
import type { MlpRouter } from "./router-file.ts";

/** Turns the heads' outputs into predictions: sigmoid for quality, de-normalised cost. */
export function predictionFromOutputs(
  router: Pick<MlpRouter, "costStats" | "shape">,
  qualityLogit: ArrayLike<number>,
  costOutput: ArrayLike<number>,
  rows: number,
): BatchPrediction {
  const m = router.shape.modelCount;
  const { mu, sigma } = router.costStats;
  const quality = new Float64Array(rows * m);
  const cost = new Float64Array(rows * m);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < m; j++) {
      const k = r * m + j;
      quality[k] = 1 / (1 + Math.exp(-qualityLogit[k]!));
      cost[k] = denormaliseCost(costOutput[k]!, mu[j]!, sigma[j]!);
    }
  }
  // A model without statistics (a local router whose client never judged it) would be priced
  // by an untrained head on made-up mu and sigma: anywhere from 0 to 19 USD a query.
  const observed = observedModels(router.costStats, m);
  if (observed.every((o) => o === 1)) return { quality, cost, available: null };
  const available = new Uint8Array(rows * m);
  for (let r = 0; r < rows; r++) available.set(observed, r * m);
  return { quality, cost, available };
}

/** Predictions for `rows` feature vectors laid out row-major in `features` (no dropout). */
export function predictMlp(
  router: MlpRouter,
  features: Float32Array,
  rows = features.length / router.shape.dimension,
): BatchPrediction {
  if (!Number.isInteger(rows) || features.length !== rows * router.shape.dimension) {
    throw new RangeError(`features hold ${features.length} values, not rows of ${router.shape.dimension}`);
  }
  const layout = parameterLayout(router.shape);
  const cache = referenceForward(layout, Float64Array.from(router.params), features, rows, null);
  return predictionFromOutputs(router, cache.qualityLogit, cache.costOutput, rows);
}
