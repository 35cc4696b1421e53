// The federated MLP router as a sequence of passes over sums: first the cost statistics
// (count, sum and sum of squares of log1p(cost) per model), then `rounds` rounds of local
// training whose weight deltas are averaged (FedAvg, or per-head weighting by observed cells).
import type { FederatedAlgorithm } from "../federated.ts";
import type { ModelFile } from "../model-file.ts";
import { seededRandom } from "../random.ts";
import { type MlpConfig, type MlpConfigInput, mlpConfig } from "./config.ts";
import { type CostStats, costStatsContribution, costStatsFromTotals } from "./cost-normalisation.ts";
import {
  headRanges,
  initialParameters,
  type MlpShape,
  type ParameterLayout,
  parameterLayout,
} from "./layout.ts";
import type { LocalTrainer, LocalTrainingOptions } from "./local-training.ts";
import { mlpFromModelFile, mlpToModelFile } from "./router-file.ts";
import { checkTrainingSet, type MlpTrainingSet, observedPerModel } from "./training-set.ts";

export type MlpPhase = "stats" | "train" | "done";

export interface MlpState {
  config: MlpConfig;
  phase: MlpPhase;
  /** Training rounds finished. */
  round: number;
  params: Float32Array;
  /** Known once the statistics pass is done. */
  costStats: CostStats | null;
}

export function mlpShape(config: MlpConfig): MlpShape {
  return { dimension: config.embedder.dimension, hidden: config.hidden, modelCount: config.models.length };
}

/** The public starting point: seeded initial weights, statistics pass first. */
export function initialMlpState(input: MlpConfigInput): MlpState {
  const config = mlpConfig(input);
  const layout = parameterLayout(mlpShape(config));
  return {
    config,
    phase: "stats",
    round: 0,
    params: initialParameters(layout, seededRandom(config.seed)),
    costStats: null,
  };
}

export function localTrainingOptions(state: MlpState): LocalTrainingOptions {
  if (!state.costStats) throw new RangeError("cost statistics are not known yet");
  const { config } = state;
  return {
    shape: mlpShape(config),
    costStats: state.costStats,
    epochs: config.localEpochs,
    batchSize: config.batchSize,
    dropout: config.dropout,
    optimizer: config.optimizer,
  };
}

/**
 * Each parameter's averaging weight from a weight header [n, count_1..count_M]: n for the
 * trunk; for model m's head rows its observed-cell count (per-head) or n (fedavg).
 */
export function elementWeights(
  layout: ParameterLayout,
  weighting: MlpConfig["weighting"],
  header: ArrayLike<number>,
): Float64Array {
  const weights = new Float64Array(layout.size).fill(header[0]!);
  if (weighting === "fedavg") return weights;
  for (let m = 0; m < layout.shape.modelCount; m++) {
    for (const { start, end } of headRanges(layout, m)) weights.fill(header[1 + m]!, start, end);
  }
  return weights;
}

/** Layout of a training contribution: [n, observed cells per model (M), weighted deltas (P)]. */
export function trainingContribution(
  state: MlpState,
  set: MlpTrainingSet,
  trained: Float32Array,
): Float64Array {
  const layout = parameterLayout(mlpShape(state.config));
  const m = layout.shape.modelCount;
  const contribution = new Float64Array(1 + m + layout.size);
  if (set.n === 0) return contribution;
  contribution[0] = set.n;
  contribution.set(observedPerModel(set), 1);
  const delta = contribution.subarray(1 + m);
  for (let i = 0; i < layout.size; i++) delta[i] = trained[i]! - state.params[i]!;
  const weights = elementWeights(layout, state.config.weighting, contribution.subarray(0, 1 + m));
  for (let i = 0; i < layout.size; i++) delta[i] = delta[i]! * weights[i]!;
  return contribution;
}

/** global + (sum of weighted deltas) / (sum of weights), slice by slice; unweighted slices stay. */
export function applyAveragedDelta(state: MlpState, total: Float64Array): Float32Array {
  const layout = parameterLayout(mlpShape(state.config));
  const m = layout.shape.modelCount;
  const weights = elementWeights(layout, state.config.weighting, total.subarray(0, 1 + m));
  const params = state.params.slice();
  for (let i = 0; i < params.length; i++) {
    const w = weights[i]!;
    if (w > 0) params[i] = params[i]! + total[1 + m + i]! / w;
  }
  return params;
}

export function createFederatedMlp(trainer: LocalTrainer): FederatedAlgorithm<MlpState, MlpTrainingSet> {
  return {
    contributionLength(global) {
      const m = global.config.models.length;
      if (global.phase === "stats") return 3 * m;
      return 1 + m + parameterLayout(mlpShape(global.config)).size;
    },
    async contribute(global, set, random) {
      checkTrainingSet(set);
      if (global.phase === "stats") return costStatsContribution(set);
      if (global.phase === "done") throw new RangeError("training is finished");
      const { params } = await trainer.train(global.params, set, localTrainingOptions(global), random);
      return trainingContribution(global, set, params);
    },
    finalize(global, total) {
      if (global.phase === "stats") {
        const phase = global.config.rounds > 0 ? "train" : "done";
        return { ...global, phase, costStats: costStatsFromTotals(total) };
      }
      const round = global.round + 1;
      return {
        ...global,
        round,
        phase: round >= global.config.rounds ? "done" : "train",
        params: applyAveragedDelta(global, total),
      };
    },
    done: (global) => global.phase === "done",
    toModelFile: (global): ModelFile => mlpToModelFile(global),
    fromModelFile: (file) => mlpFromModelFile(file),
  };
}
