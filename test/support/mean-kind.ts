// A toy third router kind, registered by the tests through the registry: the per-model mean
// router, which predicts each model's mean observed quality and cost whatever the query. It shows
// what adding a kind takes (docs/architecture.md) and drives the edge tests through several
// passes (`rounds`, default 1: each pass sums the same cells again, and the last one is published).
import type { EvaluationSet } from "../../core/data/evaluations.ts";
import { type FederatedAlgorithm, roundSchedule, simulate } from "../../core/federated.ts";
import type { ModelFile } from "../../core/model-file.ts";
import type { BatchPredictor } from "../../core/prediction.ts";
import {
  type HyperparameterSchema,
  refusalOf,
  requireHyperparameters,
} from "../../core/routers/hyperparameters.ts";
import type { KindSetup, RouterKind, TotalContext } from "../../core/routers/kind.ts";
import { findRouterKind, registerRouterKind } from "../../core/routers/registry.ts";
import { checkBetween, checkCount, checkFinite } from "../../core/routers/total-checks.ts";

export const MEAN_KIND = "mean";

export interface MeanState {
  models: string[];
  embedder: KindSetup["embedder"];
  /** Passes wanted, and passes finalised so far. */
  rounds: number;
  round: number;
  /** Per model: observed cells, and the mean quality and cost over them. */
  count: Float64Array;
  quality: Float64Array;
  cost: Float64Array;
}

const SCHEMA: HyperparameterSchema = { rounds: "number" };

function initialState(setup: KindSetup): MeanState {
  const { rounds = 1 } = requireHyperparameters(setup.hyperparameters, SCHEMA) as { rounds?: number };
  if (!(Number.isInteger(rounds) && rounds >= 1))
    throw new RangeError("hyperparameter rounds must be a positive integer");
  const m = setup.models.length;
  return {
    models: [...setup.models],
    embedder: setup.embedder,
    rounds,
    round: 0,
    count: new Float64Array(m),
    quality: new Float64Array(m),
    cost: new Float64Array(m),
  };
}

/** Each client sends, per model, [observed cells, quality sum, cost sum]. */
export const meanAlgorithm: FederatedAlgorithm<MeanState, EvaluationSet> = {
  contributionLength: (state) => 3 * state.models.length,
  contribute(state, set) {
    const m = state.models.length;
    if (set.modelCount !== m)
      throw new RangeError(`the evaluations have ${set.modelCount} models, the router ${m}`);
    const sums = new Float64Array(3 * m);
    for (let q = 0; q < set.n; q++) {
      for (let j = 0; j < m; j++) {
        if (!set.observed[q * m + j]) continue;
        sums[3 * j]! += 1;
        sums[3 * j + 1]! += set.quality[q * m + j]!;
        sums[3 * j + 2]! += set.cost[q * m + j]!;
      }
    }
    return sums;
  },
  finalise(state, total) {
    const m = state.models.length;
    const count = new Float64Array(m);
    const quality = new Float64Array(m);
    const cost = new Float64Array(m);
    for (let j = 0; j < m; j++) {
      count[j] = total[3 * j]!;
      quality[j] = count[j]! > 0 ? total[3 * j + 1]! / count[j]! : 0;
      cost[j] = count[j]! > 0 ? total[3 * j + 2]! / count[j]! : 0;
    }
    return { ...state, round: state.round + 1, count, quality, cost };
  },
  done: (state) => state.round >= state.rounds,
  toModelFile: (state): ModelFile => ({
    kind: MEAN_KIND,
    embedder: state.embedder,
    models: state.models,
    meta: { rounds: state.rounds, round: state.round },
    tensors: { count: state.count, quality: state.quality, cost: state.cost },
  }),
  fromModelFile: (file) => ({
    models: file.models,
    embedder: file.embedder,
    rounds: Number(file.meta.rounds),
    round: Number(file.meta.round),
    count: Float64Array.from(file.tensors.count!),
    quality: Float64Array.from(file.tensors.quality!),
    cost: Float64Array.from(file.tensors.cost!),
  }),
};

/**
 * What honest sums satisfy: whole counts of at least 0, quality sums within [0, count] (qualities
 * lie in [0, 1]) and cost sums of at least 0.
 */
function checkTotal(state: MeanState, total: Float64Array, context: TotalContext): string | undefined {
  const finite = checkFinite(total);
  if (finite) return finite;
  for (const [j, model] of state.models.entries()) {
    const count = total[3 * j]!;
    const refusal =
      checkCount(count, `${model}'s count`, context) ??
      checkBetween(total[3 * j + 1]!, 0, count + context.resolution, `${model}'s quality sum`, context) ??
      checkBetween(total[3 * j + 2]!, 0, Number.POSITIVE_INFINITY, `${model}'s cost sum`, context);
    if (refusal) return refusal;
  }
  return undefined;
}

/** The same prediction for every query: each model's means, unavailable where nothing was observed. */
function batch(state: MeanState): BatchPredictor {
  const m = state.models.length;
  const available = Uint8Array.from(state.count, (c) => (c > 0 ? 1 : 0));
  return (features) => {
    const n = features.length / state.embedder.dimension;
    const out = {
      quality: new Float64Array(n * m),
      cost: new Float64Array(n * m),
      available: new Uint8Array(n * m),
    };
    for (let q = 0; q < n; q++) {
      out.quality.set(state.quality, q * m);
      out.cost.set(state.cost, q * m);
      out.available.set(available, q * m);
    }
    return out;
  };
}

export const meanKind: RouterKind<MeanState> = {
  name: MEAN_KIND,
  label: "Per-model mean",
  defaults: { rounds: 1 },
  trainsLocally: false,
  checkHyperparameters: (setup) => refusalOf(() => initialState(setup)),
  initialState,
  // Three float64 tensors of one entry per model; three sums per model.
  footprint: (setup) => ({
    tensorBytes: 3 * 8 * setup.models.length,
    contributionLength: 3 * setup.models.length,
  }),
  experimentHyperparameters: () => ({ rounds: 1 }),
  algorithm: () => meanAlgorithm,
  checkTotal,
  participation: () => 1,
  localInitial: (state) => ({ ...state, round: 0 }),
  router(state) {
    if (state.round === 0) throw new RangeError("the mean router has not been trained yet");
    const available = Uint8Array.from(state.count, (c) => (c > 0 ? 1 : 0));
    return {
      kind: MEAN_KIND,
      embedder: state.embedder,
      models: state.models,
      predict: () => ({ quality: state.quality, cost: state.cost, available }),
    };
  },
  modelsBeingAdded: () => [],
  experiment: async () => {
    const setupOf = (context: { models: string[]; embedder: KindSetup["embedder"] }) => ({
      models: context.models,
      embedder: context.embedder,
      hyperparameters: {},
    });
    return {
      name: MEAN_KIND,
      async federated(clients, context) {
        const state = await simulate(meanAlgorithm, initialState(setupOf(context)), clients, {
          random: context.random,
          schedule: roundSchedule(context.seed),
        });
        return batch(state);
      },
      async alone(set, context) {
        const state = await simulate(meanAlgorithm, initialState(setupOf(context)), [set], {
          random: context.random,
          schedule: roundSchedule(context.seed),
        });
        return batch(state);
      },
    };
  },
};

/** Registers the toy kind once per module graph (idempotent across test files). */
export function registerMeanKind(): void {
  if (!findRouterKind(MEAN_KIND)) registerRouterKind(meanKind);
}
