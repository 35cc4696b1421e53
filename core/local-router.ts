// A router of the federation's kind and hyperparameters trained on one client's evaluations
// alone: the local half of the adaptive personalised router. It runs the federated algorithm
// with that one client as the whole federation (so every pass is its own sums), which is how
// the experiment harness trains its client-local and centralized routers too.
import type { EvaluationSet } from "./data/evaluations.ts";
import { simulate } from "./federated.ts";
import { federatedKMeans, initialKMeansState } from "./kmeans/federated.ts";
import { createFederatedMlp, initialMlpState } from "./mlp/federated.ts";
import type { LocalTrainer } from "./mlp/local-training.ts";
import { mlpFromModelFile } from "./mlp/router-file.ts";
import type { ModelFile } from "./model-file.ts";
import type { Random } from "./random.ts";

export interface LocalRouterOptions {
  /** Runs the MLP's local epochs (onnxruntime in the SDK, the reference in tests). */
  trainer: LocalTrainer;
  /** Shuffling and dropout; nothing secret depends on it. */
  random: Random;
}

/** Trains a fresh router like `federation`'s (kind, models, embedder, hyperparameters) on `set`. */
export async function trainLocalModel(
  federation: ModelFile,
  set: EvaluationSet,
  options: LocalRouterOptions,
): Promise<ModelFile> {
  if (set.n === 0) throw new RangeError("a local router needs at least one evaluation");
  if (set.modelCount !== federation.models.length || set.dimension !== federation.embedder.dimension)
    throw new RangeError(
      `the evaluations have ${set.modelCount} models of dimension ${set.dimension}; the router ${federation.models.length} of ${federation.embedder.dimension}`,
    );
  const run = { random: options.random, fraction: 1 };
  if (federation.kind === "kmeans") {
    const { config } = federatedKMeans.fromModelFile(federation);
    const trained = await simulate(federatedKMeans, initialKMeansState(config), [set], run);
    return federatedKMeans.toModelFile(trained);
  }
  if (federation.kind === "mlp") {
    const algorithm = createFederatedMlp(options.trainer);
    const { config } = mlpFromModelFile(federation);
    // Nothing is averaged with one client: a server step other than 1 would extrapolate.
    const initial = initialMlpState({ ...config, serverLearningRate: 1 });
    return algorithm.toModelFile(await simulate(algorithm, initial, [set], run));
  }
  throw new RangeError(`no local router for a ${federation.kind} federation`);
}
