// The K-means router in the harness: federated passes simulated with plain sums (secure
// aggregation sums the same vectors), plus the paper's pooled one-shot baseline.
import type { EvaluationSet } from "../data/evaluations.ts";
import { roundSchedule, simulate } from "../federated.ts";
import type { BatchPredictor } from "../prediction.ts";
import type { KindExperiment, TrainingContext } from "../routers/kind.ts";
import { embeddingColumns } from "../routers/tags.ts";
import {
  federatedKMeans,
  initialKMeansState,
  KMEANS_DEFAULTS,
  type KMeansState,
  kmeansRouter,
} from "./federated.ts";
import { fineTunedRouter } from "./fine-tune.ts";
import { kmeansNewClients, kmeansNewModels } from "./growth-experiment.ts";
import { pooledCentroids } from "./pooled.ts";
import { predictKMeansBatch, STATS_PARTS, statsFromSums, statsSums } from "./router.ts";
import type { Shrinkage } from "./shrinkage.ts";
import { KMEANS_KIND } from "./state.ts";
import { tagSlots } from "./tags.ts";

export interface KMeansExperimentOptions {
  clusters?: number;
  prior?: number;
  shrinkage?: Shrinkage;
  softness?: number;
  lloydPasses?: number;
  powerPasses?: number;
}

function predictor(state: KMeansState): BatchPredictor {
  const router = kmeansRouter(state);
  return (features) => predictKMeansBatch(router, features);
}

export function kmeansExperiment(options: KMeansExperimentOptions = {}): KindExperiment {
  const config = (context: TrainingContext) => ({
    models: context.models,
    embedder: context.embedder,
    tags: [...(context.tags ?? [])],
    clusters: options.clusters ?? KMEANS_DEFAULTS.clusters,
    prior: options.prior ?? KMEANS_DEFAULTS.prior,
    shrinkage: options.shrinkage ?? KMEANS_DEFAULTS.shrinkage,
    softness: options.softness ?? KMEANS_DEFAULTS.softness,
    ...(options.lloydPasses !== undefined ? { lloydPasses: options.lloydPasses } : {}),
    ...(options.powerPasses !== undefined ? { powerPasses: options.powerPasses } : {}),
  });
  const trainState = (clients: readonly EvaluationSet[], context: TrainingContext, federated = false) => {
    const initial = initialKMeansState(config(context));
    // Only the federated router is trained under client-level DP; alone, a client needs none.
    const algorithm =
      federated && context.privatise ? context.privatise(federatedKMeans, initial) : federatedKMeans;
    return simulate(algorithm, initial, clients, {
      random: context.random,
      schedule: roundSchedule(context.seed),
    });
  };
  /** The federated state trained last, the starting point of fine-tuning. */
  let lastFederated: KMeansState | null = null;
  return {
    name: KMEANS_KIND,
    async federated(clients, context) {
      lastFederated = await trainState(clients, context, true);
      return predictor(lastFederated);
    },
    alone: async (set, context) => predictor(await trainState([set], context)),
    async fineTune(set) {
      if (!lastFederated) throw new RangeError("fine-tuning starts from a federated router: train one first");
      const tuned = fineTunedRouter(kmeansRouter(lastFederated), set);
      return (features) => predictKMeansBatch(tuned, features);
    },
    newModels: (base, extended, added, context) =>
      kmeansNewModels(config(context), base, extended, added, context),
    newClients: (base, joining, context) => kmeansNewClients(config(context), base, joining, context),
    async baselines(clients, context) {
      const { clusters, prior, shrinkage, softness, tags } = config(context);
      const d = context.embedder.dimension;
      const embeddings = clients.map((client) => ({
        ...client,
        dimension: d,
        features: embeddingColumns(client.features, d + tags.length, d),
      }));
      const centroids = pooledCentroids(embeddings, clusters, context.random);
      const rows = clusters * tagSlots(tags.length);
      const total = new Float64Array(STATS_PARTS * rows * context.models.length);
      for (const client of clients) {
        const sums = statsSums(client, centroids, clusters, undefined, tags.length);
        for (let i = 0; i < total.length; i++) total[i]! += sums[i]!;
      }
      // The paper's pooled baseline has no spread measured: it assigns hard.
      const router = {
        dimension: d,
        clusterCount: clusters,
        modelCount: context.models.length,
        centroids,
        stats: statsFromSums(total, rows, context.models.length),
        prior,
        shrinkage,
        tagCount: tags.length,
        softness,
      };
      return { pooled: (features: Float32Array) => predictKMeansBatch(router, features) };
    },
  };
}
