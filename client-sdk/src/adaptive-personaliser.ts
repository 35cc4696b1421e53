// The built-in personaliser: the adaptive per-model mixture of the federation's router and a
// router of the same kind trained on this client's own evaluations alone, weighted by inverse
// error on the client's observed cells (core/personalisation.ts says how the errors are
// estimated). Built once per model version, on the device: no evaluation leaves it.
import type { EvaluationSet } from "../../core/data/evaluations.ts";
import {
  adaptiveMixture,
  type MixtureWeights,
  mixPredictions,
  type PersonalisationOptions,
} from "../../core/personalisation.ts";
import { type BatchPredictor, batchToRows, rowsToBatch } from "../../core/prediction.ts";
import { seededRandom } from "../../core/random.ts";
import { trainLocalModel } from "../../core/routers/local.ts";
import { rowWidth } from "../../core/routers/tags.ts";
import type { ModelPredictor } from "./model/predictor.ts";
import type { PersonalisationContext, Personaliser } from "./personalise.ts";

/** A personalised predictor, with the mixture it routes by. */
export interface PersonalisedPredictor extends ModelPredictor {
  /** Per model: the weight of the federation's router (the local one gets 1 - w). */
  mixture: MixtureWeights;
  /** Evaluations the local router was trained on. */
  evaluations: number;
}

export interface AdaptivePersonaliserOptions extends PersonalisationOptions {
  /** Seed of the local router's training (shuffling, dropout); default 1. */
  seed?: number;
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

export function adaptivePersonaliser(options: AdaptivePersonaliserOptions = {}): Personaliser {
  const { seed = 1, ...mixture } = options;
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
        return { ...global, mixture: { quality: all, cost: all.slice() }, evaluations: 0 };
      }
      const train = async (subset: EvaluationSet) => {
        const file = await trainLocalModel(context.file, subset, {
          compute: context.compute,
          random: seededRandom(seed),
        });
        return context.predictor(file);
      };
      const { weights } = await adaptiveMixture(
        globalPredict,
        async (subset) => flatPredict(await train(subset), d),
        set,
        mixture,
      );
      const localPredict = flatPredict(await train(set), d);
      return {
        ...global,
        mixture: weights,
        evaluations: set.n,
        async predict(vectors) {
          const features = new Float32Array(vectors.length * d);
          for (const [i, v] of vectors.entries()) features.set(v, i * d);
          const [g, l] = await Promise.all([globalPredict(features), localPredict(features)]);
          return batchToRows(mixPredictions(g, l, weights), m);
        },
      };
    },
  };
}
