// A small high-heterogeneity experiment with personalisation on: four clients of a synthetic
// benchmark, each holding nearly one task, K-means with four clusters. Fast enough for unit tests.
import { syntheticBenchmark } from "../../../core/data/synthetic.ts";
import { hashingEmbedder } from "../../../core/embedder/hashing.ts";
import { kmeansKind } from "../../../core/kmeans/kind.ts";
import {
  type ExperimentOptions,
  type ExperimentResult,
  runExperiment,
} from "../../../experiments/harness.ts";

export async function smallHighHetRun(options: Partial<ExperimentOptions> = {}): Promise<ExperimentResult> {
  return runExperiment(syntheticBenchmark({ seed: 4, queries: 400, tasks: 4, models: 5 }), {
    seed: 4,
    kind: await kmeansKind.experiment({ clusters: 4 }),
    embedder: hashingEmbedder({ dimension: 32 }),
    clients: 4,
    alpha: 0.03,
    preferenceAlpha: 1,
    personalise: true,
    ...options,
  });
}
