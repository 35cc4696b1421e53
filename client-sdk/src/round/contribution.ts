// A client's contribution to one pass: the federation's router kind decides the algorithm
// (the same FederatedAlgorithm the edge finalizes with), local MLP training runs on onnxruntime.
import type { EvaluationSet } from "../../../core/data/evaluations.ts";
import type { FederatedAlgorithm } from "../../../core/federated.ts";
import { federatedKMeans } from "../../../core/kmeans/federated.ts";
import { createFederatedMlp } from "../../../core/mlp/federated.ts";
import type { LocalTrainer } from "../../../core/mlp/local-training.ts";
import type { ModelFile } from "../../../core/model-file.ts";
import type { Random } from "../../../core/random.ts";
import { FedRouterError } from "../errors.ts";

type ClientAlgorithm = FederatedAlgorithm<unknown, EvaluationSet>;

/** The algorithm of a router kind on the client's side. */
export function clientAlgorithm(kind: string, trainer: () => LocalTrainer): ClientAlgorithm {
  if (kind === "kmeans") return federatedKMeans as unknown as ClientAlgorithm;
  if (kind === "mlp") return createFederatedMlp(trainer()) as unknown as ClientAlgorithm;
  throw new FedRouterError(
    "training",
    `this SDK cannot train routers of kind "${kind}" (it knows kmeans, mlp)`,
  );
}

/** Whether the model in `file` is final: no round will ever train it further. */
export function isFinal(file: ModelFile, trainer: () => LocalTrainer): boolean {
  const algorithm = clientAlgorithm(file.kind, trainer);
  return algorithm.done(algorithm.fromModelFile(file));
}

/**
 * The contribution vector for the global state in `file`, of the length the round expects.
 * Any failure of local training is reported as a `training` error.
 */
export async function computeContribution(
  file: ModelFile,
  set: EvaluationSet,
  random: Random,
  expectedLength: number,
  trainer: () => LocalTrainer,
): Promise<Float64Array> {
  const algorithm = clientAlgorithm(file.kind, trainer);
  let contribution: Float64Array;
  try {
    const global = algorithm.fromModelFile(file);
    if (algorithm.done(global)) throw new RangeError("the round's model is final: nothing to train");
    const length = algorithm.contributionLength(global);
    if (length !== expectedLength)
      throw new RangeError(`the round expects ${expectedLength} values, this pass produces ${length}`);
    contribution = await algorithm.contribute(global, set, random);
  } catch (error) {
    if (error instanceof FedRouterError) throw error;
    throw new FedRouterError("training", `local training failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return contribution;
}
