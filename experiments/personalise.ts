// A client's personalised routers in the harness: the adaptive inverse-error mixture of its
// federated and local routers (core/personalisation.ts says how the errors are estimated), and
// the fixed 0.5/0.5 mixture for comparison.
import type { EvaluationSet } from "../core/data/evaluations.ts";
import {
  adaptiveMixture,
  fixedWeights,
  type MixtureWeights,
  mixedPredictor,
  type PersonalisationOptions,
} from "../core/personalisation.ts";
import type { BatchPredictor } from "../core/prediction.ts";

export interface PersonalisedRouters {
  adaptive: BatchPredictor;
  fixed: BatchPredictor;
  /** The adaptive mixture's per-model weights of the federated router. */
  weights: MixtureWeights;
}

export async function personalisedPredictors(
  federated: BatchPredictor,
  local: BatchPredictor,
  train: EvaluationSet,
  trainLocal: (set: EvaluationSet) => Promise<BatchPredictor>,
  options: PersonalisationOptions = {},
): Promise<PersonalisedRouters> {
  const { weights } = await adaptiveMixture(federated, trainLocal, train, options);
  return {
    adaptive: mixedPredictor(federated, local, weights),
    fixed: mixedPredictor(federated, local, fixedWeights(train.modelCount)),
    weights,
  };
}
