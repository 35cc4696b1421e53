// The K-means growth scenarios of the harness: new LLMs (learn only their statistics) and new
// organisations (their own clusters and statistics, the federation's kept; join.ts), simulated
// with plain sums.
import type { EvaluationSet } from "../data/evaluations.ts";
import { roundSchedule, simulate } from "../federated.ts";
import { type BatchPredictor, widenPredictor } from "../prediction.ts";
import type { TrainingContext } from "../routers/kind.ts";
import {
  addModels,
  federatedKMeans,
  initialKMeansState,
  type KMeansConfig,
  kmeansRouter,
  startJoin,
} from "./federated.ts";
import { predictKMeansBatch } from "./router.ts";

type Config = Partial<KMeansConfig> & Pick<KMeansConfig, "models" | "embedder">;

export async function kmeansNewModels(
  config: Config,
  base: readonly EvaluationSet[],
  extended: readonly EvaluationSet[],
  added: readonly string[],
  context: TrainingContext,
): Promise<{ before: BatchPredictor; after: BatchPredictor }> {
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
): Promise<{ before: BatchPredictor; after: BatchPredictor }> {
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
