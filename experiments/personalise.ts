// A client's personalised routers in the harness: the default, the federated router moved toward
// the client's local router as far as the client's own cells carry it (core/personalisation-prior.ts),
// and for comparison the adaptive inverse-error mixture (core/personalisation.ts) and the fixed
// 0.5/0.5 mixture. Both evidence-based routers judge the local router on the same held-out
// predictions (one cross-validation per client).
import type { EvaluationSet } from "../core/data/evaluations.ts";
import {
  adaptiveMixtureOf,
  fixedWeights,
  type MixtureWeights,
  mixedPredictor,
  PERSONALISATION_DEFAULTS,
  type PersonalisationOptions,
  trainingErrors,
} from "../core/personalisation.ts";
import {
  blendedPredictor,
  heldOutPredictions,
  type PriorEvidenceWeights,
  priorEvidenceOf,
} from "../core/personalisation-prior.ts";
import type { BatchPredictor } from "../core/prediction.ts";

export interface PersonalisedRouters {
  variants: Record<string, BatchPredictor>;
  /** The default: the federated router as the prior, the client's cells as the evidence. */
  priorEvidence: BatchPredictor;
  /** The inverse-error mixture. */
  adaptive: BatchPredictor;
  fixed: BatchPredictor;
  /** The local router's weights in the default. */
  evidenceWeights: PriorEvidenceWeights;
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
  const { folds } = { ...PERSONALISATION_DEFAULTS, ...options };
  const m = train.modelCount;
  const prior = await federated(train.features);
  const heldOut = await heldOutPredictions(trainLocal, train, folds);
  const localErrors = trainingErrors(heldOut, train.observed, train.quality, train.cost, m);
  const { weights } = adaptiveMixtureOf(prior, localErrors, train, options);
  const evidence = priorEvidenceOf(prior, heldOut, train);
  const variants: Record<string, BatchPredictor> = {};
  for (const pooling of ["pooled", "hierarchical", "least-squares"] as const)
    variants[pooling] = blendedPredictor(
      federated,
      local,
      priorEvidenceOf(prior, heldOut, train, { pooling }).weights,
    );
  // Issue 20's first default (positive-part shrinkage), and the default judging only the part of
  // the quality departures that can change a routing decision.
  for (const [name, reading] of [
    ["positive-part", { shrinkage: "positive-part" }],
    ["routing", { departure: "routing" }],
  ] as const)
    variants[name] = blendedPredictor(
      federated,
      local,
      priorEvidenceOf(prior, heldOut, train, reading).weights,
    );
  return {
    variants,
    priorEvidence: blendedPredictor(federated, local, evidence.weights),
    adaptive: mixedPredictor(federated, local, weights),
    fixed: mixedPredictor(federated, local, fixedWeights(m)),
    evidenceWeights: evidence.weights,
    weights,
  };
}
