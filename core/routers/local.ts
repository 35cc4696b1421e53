// A router of a federation's kind and hyperparameters trained on one client's evaluations alone:
// the local half of the adaptive personalised router. It runs the kind's federated algorithm with
// that one client as the whole federation, so every pass is its own sums.
import type { EvaluationSet } from "../data/evaluations.ts";
import { simulate } from "../federated.ts";
import { inputWidth, type ModelFile } from "../model-file.ts";
import type { Random } from "../random.ts";
import type { LocalCompute } from "./kind.ts";
import { stateOf } from "./registry.ts";

export interface LocalRouterOptions {
  /** Local training of networks (onnxruntime in the SDK, the reference in tests). */
  compute: LocalCompute;
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
  const width = inputWidth(federation);
  if (set.modelCount !== federation.models.length || set.dimension !== width)
    throw new RangeError(
      `the evaluations have ${set.modelCount} models of dimension ${set.dimension}; the router ${federation.models.length} of ${width}`,
    );
  const { kind, state } = stateOf(federation);
  const algorithm = kind.algorithm(options.compute);
  const trained = await simulate(algorithm, kind.localInitial(state), [set], {
    random: options.random,
    fraction: 1,
  });
  return algorithm.toModelFile(trained);
}
