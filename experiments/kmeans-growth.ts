// How the K-means router grows: new LLMs (learn only their statistics) and new organisations
// (their own clusters and statistics, the federation's kept; core/kmeans/join.ts), simulated
// with plain sums.
import type { EvaluationSet } from "../core/data/evaluations.ts";
import { roundSchedule, simulate } from "../core/federated.ts";
import {
  addModels,
  federatedKMeans,
  initialKMeansState,
  type KMeansConfig,
  kmeansRouter,
  startJoin,
} from "../core/kmeans/federated.ts";
import { predictKMeansBatch } from "../core/kmeans/router.ts";
import type { BatchPrediction, Predictor, TrainingContext } from "./family.ts";

/** Widens a router's predictions to `total` models; the missing ones are unavailable. */
export function widenPredictor(predict: Predictor, known: number, total: number): Predictor {
  return async (features) => {
    const p = await predict(features);
    const n = p.quality.length / known;
    const wide: BatchPrediction = {
      quality: new Float64Array(n * total),
      cost: new Float64Array(n * total),
      available: new Uint8Array(n * total),
    };
    for (let q = 0; q < n; q++) {
      for (let j = 0; j < known; j++) {
        wide.quality[q * total + j] = p.quality[q * known + j]!;
        wide.cost[q * total + j] = p.cost[q * known + j]!;
        wide.available![q * total + j] = p.available ? p.available[q * known + j]! : 1;
      }
    }
    return wide;
  };
}

type Config = Partial<KMeansConfig> & Pick<KMeansConfig, "models" | "embedder">;

export async function kmeansNewModels(
  config: Config,
  base: readonly EvaluationSet[],
  extended: readonly EvaluationSet[],
  added: readonly string[],
  context: TrainingContext,
): Promise<{ before: Predictor; after: Predictor }> {
  const all = config.models;
  const baseModels = all.slice(0, all.length - added.length);
  const trained = await simulate(
    federatedKMeans,
    initialKMeansState({ ...config, models: baseModels }),
    base,
    { random: context.random, schedule: roundSchedule(context.seed) },
  );
  const grown = await simulate(federatedKMeans, addModels(trained, added), extended, {
    random: context.random,
    schedule: roundSchedule(context.seed),
  });
  const before = kmeansRouter(trained);
  const after = kmeansRouter(grown);
  return {
    before: widenPredictor((f) => predictKMeansBatch(before, f), baseModels.length, all.length),
    after: (f) => predictKMeansBatch(after, f),
  };
}

export async function kmeansNewClients(
  config: Config & { clusters: number },
  base: readonly EvaluationSet[],
  joining: readonly EvaluationSet[],
  context: TrainingContext,
): Promise<{ before: Predictor; after: Predictor }> {
  // Every pass is seeded by the experiment's seed, as the families' federated training is.
  const schedule = roundSchedule(context.seed);
  const trained = await simulate(federatedKMeans, initialKMeansState(config), base, {
    random: context.random,
    schedule,
  });
  // Only the joining clients take part from here on: their own clustering, then the join pass.
  const joined = await simulate(federatedKMeans, startJoin(trained), joining, {
    random: context.random,
    schedule,
  });
  const before = kmeansRouter(trained);
  const after = kmeansRouter(joined);
  return { before: (f) => predictKMeansBatch(before, f), after: (f) => predictKMeansBatch(after, f) };
}
