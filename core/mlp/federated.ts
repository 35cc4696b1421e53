// The federated MLP router as a sequence of passes over sums: first the statistics (count, sum
// and sum of squares of log1p(cost) per model, and, with the quality prior, the sum of observed
// quality per model), then `rounds` rounds of local
// training whose weight deltas are averaged (FedAvg, or per-head weighting by observed cells).
// A trained router can then grow (growth.ts): new models' statistics and head-only rounds, or
// rounds of joining clients with distillation.
import type { FederatedAlgorithm } from "../federated.ts";
import type { ModelFile } from "../model-file.ts";
import { CALIBRATION_SUMS_PER_MODEL, calibrationSums, withCalibratedBiases } from "./calibration.ts";
import type { MlpConfig } from "./config.ts";
import { COST_SUMS_PER_MODEL, costStatsContribution, costStatsFromTotals } from "./cost-normalisation.ts";
import { clipDelta } from "./delta-clip.ts";
import {
  type AddModelsOptions,
  addModels,
  advanceJoin,
  finaliseNewHeads,
  finaliseNewModelStats,
  type JoinClientsOptions,
  joinClients,
  joinTrainingOptions,
  newHeadsContribution,
  newHeadsContributionLength,
  newHeadsTrainingOptions,
  newModelStatsContribution,
  newModelsGrowth,
} from "./growth.ts";
import { headRanges, type ParameterLayout, parameterLayout } from "./layout.ts";
import type { LocalTrainer, LocalTrainingOptions } from "./local-training.ts";
import { predictMlp } from "./predict.ts";
import { qualitySums, withQualityPrior } from "./quality-prior.ts";
import { mlpFromModelFile, mlpRouter, mlpToModelFile } from "./router-file.ts";
import { type MlpPhase, type MlpState, mlpShape } from "./state.ts";
import { checkTrainingSet, type MlpTrainingSet, observedPerModel } from "./training-set.ts";
import { finaliseValidation, VALIDATION_SUMS, validationSplit, validationSums } from "./validation.ts";

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

/**
 * How a pass's deltas are averaged. Joining rounds weight every tensor by n: the distillation
 * term gives every head a signal on every row, observed or not.
 */
const weightingOf = (state: MlpState): MlpConfig["weighting"] =>
  state.phase === "join" ? "fedavg" : state.config.weighting;

/**
 * Layout of a training contribution: [n, observed cells per model (M), weighted deltas (P)]; the
 * delta is clipped to the configuration's deltaClip before it is weighted.
 */
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
  clipDelta(delta, state.config.deltaClip);
  const weights = elementWeights(layout, weightingOf(state), contribution.subarray(0, 1 + m));
  for (let i = 0; i < layout.size; i++) delta[i] = delta[i]! * weights[i]!;
  return contribution;
}

/**
 * global + step * (sum of weighted deltas) / (sum of weights), slice by slice; unweighted slices
 * stay. `step` is the server learning rate (1: plain averaging).
 */
export function applyAveragedDelta(state: MlpState, total: Float64Array, step = 1): Float32Array {
  const layout = parameterLayout(mlpShape(state.config));
  const m = layout.shape.modelCount;
  const weights = elementWeights(layout, weightingOf(state), total.subarray(0, 1 + m));
  const params = state.params.slice();
  for (let i = 0; i < params.length; i++) {
    const w = weights[i]!;
    if (w > 0) params[i] = params[i]! + (step * total[1 + m + i]!) / w;
  }
  return params;
}

const afterTraining = (config: MlpConfig): MlpPhase => (config.calibrate ? "calibrate" : "done");

/** The federated MLP, with the transitions by which a trained federation grows. */
export interface FederatedMlp extends FederatedAlgorithm<MlpState, MlpTrainingSet> {
  /** A trained state whose next passes learn the new models (statistics, then head-only rounds). */
  addModels(global: MlpState, names: readonly string[], options?: AddModelsOptions): MlpState;
  /** A trained state whose next passes are the joining clients' distillation rounds. */
  joinClients(global: MlpState, options?: JoinClientsOptions): MlpState;
}

export function createFederatedMlp(trainer: LocalTrainer): FederatedMlp {
  return {
    addModels,
    joinClients,
    contributionLength(global) {
      const m = global.config.models.length;
      if (global.phase === "stats") return (COST_SUMS_PER_MODEL + (global.config.qualityPrior ? 1 : 0)) * m;
      if (global.phase === "calibrate") return CALIBRATION_SUMS_PER_MODEL * m;
      if (global.phase === "validate") return VALIDATION_SUMS;
      if (global.phase === "new-model-stats")
        return (COST_SUMS_PER_MODEL + 1) * (m - newModelsGrowth(global).firstAdded);
      if (global.phase === "new-model-heads") return newHeadsContributionLength(global);
      return 1 + m + parameterLayout(mlpShape(global.config)).size;
    },
    async contribute(global, set, random) {
      checkTrainingSet(set);
      if (set.modelCount !== global.config.models.length)
        throw new RangeError(
          `the set has ${set.modelCount} models, the router ${global.config.models.length}`,
        );
      // Every pass, the statistics ones too: rows without the tag indicators are another input.
      const width = mlpShape(global.config).dimension;
      if (set.dimension !== width)
        throw new RangeError(`client features have ${set.dimension} dimensions, expected ${width}`);
      if (global.phase === "stats") {
        const costSums = costStatsContribution(set);
        if (!global.config.qualityPrior) return costSums;
        const sums = new Float64Array((COST_SUMS_PER_MODEL + 1) * set.modelCount);
        sums.set(costSums);
        sums.set(qualitySums(set), costSums.length);
        return sums;
      }
      if (global.phase === "done") throw new RangeError("training is finished");
      if (global.phase === "calibrate") {
        const router = mlpRouter(global);
        const quality = trainer.predictQuality
          ? await trainer.predictQuality(router, set.features)
          : predictMlp(router, set.features, set.n).quality;
        return calibrationSums(set, quality);
      }
      if (global.phase === "new-model-stats") return newModelStatsContribution(global, set);
      if (global.phase === "validate") return validationSums(global, set);
      const base = localTrainingOptions(global);
      if (global.phase === "new-model-heads") {
        const { params } = await trainer.train(
          global.params,
          set,
          newHeadsTrainingOptions(global, base),
          random,
        );
        return newHeadsContribution(global, set, params);
      }
      const options = global.phase === "join" ? joinTrainingOptions(global, set, base) : base;
      // Held-out rows never train: they are the validation signal (validation.ts).
      const own = global.phase === "train" ? validationSplit(set, global.config.validationShare, false) : set;
      const { params } = await trainer.train(global.params, own, options, random);
      return trainingContribution(global, own, params);
    },
    finalise(global, total) {
      if (global.phase === "new-model-stats") return finaliseNewModelStats(global, total);
      if (global.phase === "new-model-heads") return finaliseNewHeads(global, total);
      if (global.phase === "join") return advanceJoin(global, applyAveragedDelta(global, total));
      if (global.phase === "validate") return finaliseValidation(global, total, afterTraining(global.config));
      if (global.phase === "calibrate") {
        const layout = parameterLayout(mlpShape(global.config));
        return { ...global, phase: "done", params: withCalibratedBiases(layout, global.params, total) };
      }
      if (global.phase === "stats") {
        const phase = global.config.rounds > 0 ? "train" : afterTraining(global.config);
        const m = global.config.models.length;
        const costStats = costStatsFromTotals(total.subarray(0, COST_SUMS_PER_MODEL * m));
        if (!global.config.qualityPrior) return { ...global, phase, costStats };
        const layout = parameterLayout(mlpShape(global.config));
        const params = withQualityPrior(
          layout,
          global.params,
          total.subarray(0, m),
          total.subarray(COST_SUMS_PER_MODEL * m),
        );
        return { ...global, phase, costStats, params };
      }
      const round = global.round + 1;
      const validating = global.config.validationShare > 0;
      return {
        ...global,
        round,
        phase: validating
          ? "validate"
          : round >= global.config.rounds
            ? afterTraining(global.config)
            : "train",
        params: applyAveragedDelta(global, total, global.config.serverLearningRate),
      };
    },
    done: (global) => global.phase === "done",
    // Calibration is a forward pass over the client's own cells: cheap enough to ask everyone,
    // and the biases it sets should match the whole federation's cells, not one cohort's.
    // Validation likewise: every round's loss must sum over the same clients to be compared.
    passFraction: (global) => (global.phase === "calibrate" || global.phase === "validate" ? 1 : undefined),
    toModelFile: (global): ModelFile => mlpToModelFile(global),
    fromModelFile: (file) => mlpFromModelFile(file),
  };
}
