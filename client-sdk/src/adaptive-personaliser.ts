// The built-in personaliser. By default the federation's router is the prior and the client's own
// evaluations the evidence: a router of the same kind trained on the client's evaluations alone
// proposes departures from the federation's predictions, and they are taken only as far as the
// client's observed cells (on which that local router is cross-validated) show them to be real
// (core/personalisation-prior.ts). With nothing recorded it routes exactly as the federation's
// router; evidence no stronger than its noise moves it only a little, departures the evidence
// contradicts not at all. `method: "inverse-error"` keeps the earlier
// per-model inverse-error mixture (core/personalisation.ts) for comparison. Built once per model
// version, on the device: no evaluation leaves it.
import type { EvaluationSet } from "../../core/data/evaluations.ts";
import {
  adaptiveMixtureOf,
  type MixtureWeights,
  mixPredictions,
  type PersonalisationOptions,
  trainingErrors,
} from "../../core/personalisation.ts";
import {
  blendPredictions,
  type EvidencePooling,
  heldOutPredictions,
  PRIOR_EVIDENCE_DEFAULTS,
  type PriorEvidenceWeights,
  priorEvidenceOf,
} from "../../core/personalisation-prior.ts";
import {
  type BatchPrediction,
  type BatchPredictor,
  batchToRows,
  rowsToBatch,
} from "../../core/prediction.ts";
import { seededRandom } from "../../core/random.ts";
import { trainLocalModel } from "../../core/routers/local.ts";
import { rowWidth } from "../../core/routers/tags.ts";
import type { ModelPredictor } from "./model/predictor.ts";
import type { PersonalisationContext, Personaliser } from "./personalise.ts";

/** How the personaliser weighs the client's local router against the federation's. */
export type PersonalisationMethod = "prior-evidence" | "inverse-error";

/** A personalised predictor, with the weights it routes by. */
export interface PersonalisedPredictor extends ModelPredictor {
  /**
   * Per model: the weight of the federation's router (the local one gets 1 - w). Under
   * "prior-evidence" quality is blended as f + (1 - w)(l - f) and cost the same on log1p(USD).
   */
  mixture: MixtureWeights;
  /** Evaluations the local router was trained on. */
  evaluations: number;
  method: PersonalisationMethod;
}

export interface AdaptivePersonaliserOptions extends PersonalisationOptions {
  /** Seed of the local router's training (shuffling, dropout); default 1. */
  seed?: number;
  /** Default "prior-evidence" (docs/personalisation.md has the measurements). */
  method?: PersonalisationMethod;
  /** Under "prior-evidence": how weights are read from the evidence (default "agreement"). */
  pooling?: EvidencePooling;
}

/** A predictor's batch on row-major features, as core's mixture functions take it. */
function flatPredict(predictor: ModelPredictor, dimension: number): BatchPredictor {
  return async (features) => {
    const rows = features.length / dimension;
    const vectors = Array.from({ length: rows }, (_, i) =>
      features.subarray(i * dimension, (i + 1) * dimension),
    );
    return rowsToBatch(await predictor.predict(vectors), predictor.models.length);
  };
}

/** The federated router's weights that a local router's prior-evidence weights leave it. */
const federatedShare = (w: PriorEvidenceWeights): MixtureWeights => ({
  quality: w.quality.map((x) => 1 - x),
  cost: w.cost.map((x) => 1 - x),
});

export function adaptivePersonaliser(options: AdaptivePersonaliserOptions = {}): Personaliser {
  const {
    seed = 1,
    method = "prior-evidence",
    pooling = PRIOR_EVIDENCE_DEFAULTS.pooling,
    ...mixture
  } = options;
  return {
    async personalise(global, context: PersonalisationContext): Promise<PersonalisedPredictor> {
      const set = await context.trainingSet();
      // Rows are the embedding and the federation's tag indicators.
      const d = rowWidth(global.embedder.dimension, global.tags);
      const m = global.models.length;
      const globalPredict = flatPredict(global, d);
      if (set.n === 0) {
        // Nothing recorded yet: the federation's router, with every weight on it.
        const all = new Float64Array(m).fill(1);
        return { ...global, mixture: { quality: all, cost: all.slice() }, evaluations: 0, method };
      }
      const train = async (subset: EvaluationSet) => {
        const file = await trainLocalModel(context.file, subset, {
          compute: context.compute,
          random: seededRandom(seed),
        });
        return flatPredict(await context.predictor(file), d);
      };
      const { folds } = { ...PRIOR_EVIDENCE_DEFAULTS, ...mixture };
      const prior = await globalPredict(set.features);
      const heldOut = await heldOutPredictions(train, set, folds);
      const localPredict = await train(set);
      let blend: (global: BatchPrediction, local: BatchPrediction) => BatchPrediction;
      let weights: MixtureWeights;
      if (method === "inverse-error") {
        const localErrors = trainingErrors(heldOut, set.observed, set.quality, set.cost, m);
        weights = adaptiveMixtureOf(prior, localErrors, set, mixture).weights;
        blend = (g, l) => mixPredictions(g, l, weights);
      } else {
        const evidence = priorEvidenceOf(prior, heldOut, set, { pooling }).weights;
        weights = federatedShare(evidence);
        blend = (g, l) => blendPredictions(g, l, evidence);
      }
      return {
        ...global,
        mixture: weights,
        evaluations: set.n,
        method,
        async predict(vectors) {
          const features = new Float32Array(vectors.length * d);
          for (const [i, v] of vectors.entries()) features.set(v, i * d);
          const [g, l] = await Promise.all([globalPredict(features), localPredict(features)]);
          return batchToRows(blend(g, l), m);
        },
      };
    },
  };
}
