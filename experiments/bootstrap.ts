// Paired bootstrap of routers' AUCs on one test set. A client's own test set is small (79
// queries under the high-het protocol), which puts a standard error near 0.03 on its AUC, so a
// difference between two of its routers needs an error bar before it means anything. Each
// resample draws the test queries with replacement once and scores every router on that same
// draw (paired), so what the routers share cancels in their differences.
import { lambdaGrid, normalisedAuc } from "../core/auc.ts";
import type { BatchPrediction } from "../core/prediction.ts";
import type { Random } from "../core/random.ts";
import { chooseByLambda } from "../core/routing.ts";
import type { TestSet } from "./evaluate.ts";

const LAMBDAS = lambdaGrid();

/**
 * Per lambda and query, the true quality and cost of the model the router chooses: fixed by the
 * predictions, so a resample only re-weights the queries.
 */
function chosenOutcomes(p: BatchPrediction, test: TestSet): { quality: Float64Array; cost: Float64Array } {
  const { n, modelCount: m } = test;
  const quality = new Float64Array(LAMBDAS.length * n);
  const cost = new Float64Array(LAMBDAS.length * n);
  const choice = new Int32Array(n);
  LAMBDAS.forEach((lambda, l) => {
    chooseByLambda(p.quality, p.cost, p.available, m, lambda, choice);
    for (let q = 0; q < n; q++) {
      const j = choice[q]!;
      if (j < 0) throw new RangeError(`router has no eligible model for test query ${q}`);
      quality[l * n + q] = test.quality[q * m + j]!;
      cost[l * n + q] = test.cost[q * m + j]!;
    }
  });
  return { quality, cost };
}

/**
 * Each router's AUC on `resamples` bootstrap draws of the test queries, the same draws for all
 * routers: entry b of every array is scored on draw b.
 */
export function pairedBootstrap(
  test: TestSet,
  predictions: Record<string, BatchPrediction>,
  resamples: number,
  random: Random,
): Record<string, Float64Array> {
  if (!Number.isInteger(resamples) || resamples < 2)
    throw new RangeError("resamples must be an integer >= 2");
  const { n } = test;
  const outcomes = Object.entries(predictions).map(([name, p]) => [name, chosenOutcomes(p, test)] as const);
  const aucs = Object.fromEntries(outcomes.map(([name]) => [name, new Float64Array(resamples)]));
  const times = new Float64Array(n);
  for (let b = 0; b < resamples; b++) {
    times.fill(0);
    for (let i = 0; i < n; i++) times[Math.floor(random() * n)]! += 1;
    for (const [name, { quality, cost }] of outcomes) {
      const points = Array.from(LAMBDAS, (lambda, l) => {
        let q = 0;
        let c = 0;
        for (let i = 0; i < n; i++) {
          q += times[i]! * quality[l * n + i]!;
          c += times[i]! * cost[l * n + i]!;
        }
        return { lambda, quality: q / n, cost: c / n };
      });
      aucs[name]![b] = normalisedAuc(points);
    }
  }
  return aucs;
}

/** Sample standard deviation: the bootstrap's standard error of the statistic it resampled. */
export function standardError(values: ArrayLike<number>): number {
  const k = values.length;
  if (k < 2) return Number.NaN;
  let mean = 0;
  for (let i = 0; i < k; i++) mean += values[i]!;
  mean /= k;
  let sum = 0;
  for (let i = 0; i < k; i++) sum += (values[i]! - mean) ** 2;
  return Math.sqrt(sum / (k - 1));
}
