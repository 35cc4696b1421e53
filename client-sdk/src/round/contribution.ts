// A client's contribution to one pass: the federation's router kind, found in the registry,
// gives the algorithm (the same FederatedAlgorithm the edge finalises with); local training runs
// on the client's compute (onnxruntime).
import type { EvaluationSet } from "../../../core/data/evaluations.ts";
import type { FederatedAlgorithm } from "../../../core/federated.ts";
import type { ModelFile } from "../../../core/model-file.ts";
import type { Random } from "../../../core/random.ts";
import type { LocalCompute, RouterKind } from "../../../core/routers/kind.ts";
import { findRouterKind, routerKindNames } from "../../../core/routers/registry.ts";
import { FedRouterError } from "../errors.ts";

function kindOf(name: string): RouterKind {
  const kind = findRouterKind(name);
  if (!kind)
    throw new FedRouterError(
      "training",
      `this SDK cannot train routers of kind "${name}" (it knows ${routerKindNames().join(", ")})`,
    );
  return kind;
}

/** The algorithm of a router kind on the client's side. */
function clientAlgorithm(
  kind: string,
  compute: () => LocalCompute,
): FederatedAlgorithm<unknown, EvaluationSet> {
  return kindOf(kind).algorithm(compute());
}

/** The global state a model file holds, read by its router kind. */
export function globalState(file: ModelFile): unknown {
  return kindOf(file.kind).algorithm().fromModelFile(file);
}

/** Whether the model in `file` is final: no round will ever train it further. */
export function isFinal(file: ModelFile): boolean {
  const algorithm = kindOf(file.kind).algorithm();
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
  compute: () => LocalCompute,
): Promise<Float64Array> {
  let contribution: Float64Array;
  try {
    const algorithm = clientAlgorithm(file.kind, compute);
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
