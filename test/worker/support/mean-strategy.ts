// A tiny federated algorithm for the edge tests: the federated mean of clients' vectors, run for a
// fixed number of rounds. Clients contribute [count, sum of their vectors]; finalize divides.
import type { FederatedAlgorithm } from "../../../core/federated.ts";
import type { ModelFile } from "../../../core/model-file.ts";
import { type RouterStrategy, registerStrategy, type StrategySetup } from "../../../core/strategies.ts";

export interface MeanState {
  setup: StrategySetup;
  mean: Float64Array;
  /** Rounds finalized so far. */
  rounds: number;
  /** Clients behind the last mean. */
  count: number;
}

/** A client's data: its vectors (each of the embedder's dimension). */
export type MeanData = Float64Array[];

const dimension = (setup: StrategySetup) => setup.embedder.dimension;
const roundsWanted = (setup: StrategySetup) => Number(setup.hyperparameters.rounds ?? 3);

export function meanAlgorithm(setup: StrategySetup): FederatedAlgorithm<MeanState, MeanData> {
  return {
    contributionLength: () => dimension(setup) + 1,
    contribute(_global, data) {
      const out = new Float64Array(dimension(setup) + 1);
      for (const vector of data) {
        out[0]! += 1;
        for (let i = 0; i < vector.length; i++) out[i + 1]! += vector[i]!;
      }
      return out;
    },
    finalize(global, total) {
      const count = total[0]!;
      const mean = new Float64Array(dimension(setup));
      for (let i = 0; i < mean.length; i++) mean[i] = count > 0 ? total[i + 1]! / count : global.mean[i]!;
      return { setup, mean, rounds: global.rounds + 1, count };
    },
    done: (global) => global.rounds >= roundsWanted(setup),
    toModelFile: (global): ModelFile => ({
      kind: "mean",
      embedder: setup.embedder,
      models: [...setup.models],
      meta: { rounds: global.rounds, count: global.count },
      tensors: { mean: global.mean },
    }),
    fromModelFile: (file) => ({
      setup,
      mean: new Float64Array(file.tensors.mean!),
      rounds: Number(file.meta.rounds),
      count: Number(file.meta.count),
    }),
  };
}

export const meanStrategy: RouterStrategy = {
  checkHyperparameters(setup) {
    const rounds = setup.hyperparameters.rounds;
    if (rounds !== undefined && !(typeof rounds === "number" && Number.isInteger(rounds) && rounds >= 1))
      return "hyperparameter rounds must be a positive integer";
    return undefined;
  },
  initialModel: (setup) =>
    meanAlgorithm(setup).toModelFile({
      setup,
      mean: new Float64Array(dimension(setup)),
      rounds: 0,
      count: 0,
    }),
  algorithm: (setup) => meanAlgorithm(setup) as unknown as ReturnType<RouterStrategy["algorithm"]>,
};

registerStrategy("mean", meanStrategy);
