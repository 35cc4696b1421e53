// How a trained federated MLP router grows, as further passes over sums. New LLMs: a statistics
// pass over the clients' observations of the new models, then rounds that train only the new
// heads (trunk and old heads frozen). New organisations: rounds in which only the joining
// clients train, distilling from the frozen federation model so that what it knew is kept.
import type { TeacherPredictions } from "./batch.ts";
import {
  addCostObservation,
  COST_SUMS_PER_MODEL,
  capScaledSums,
  costStatsFromTotals,
} from "./cost-normalisation.ts";
import { clipDelta } from "./delta-clip.ts";
import { DISTILLATION_WEIGHT } from "./distillation.ts";
import { flatten, headRanges, type ParameterLayout, parameterLayout, slotOf, unflatten } from "./layout.ts";
import type { LocalTrainingOptions } from "./local-training.ts";
import { type JoinGrowth, type MlpPhase, type MlpState, mlpShape, type NewModelsGrowth } from "./state.ts";
import { teacherPredictions } from "./teacher.ts";
import type { MlpTrainingSet } from "./training-set.ts";

export interface AddModelsOptions {
  /** Head-only training rounds after the statistics pass (default: the router's rounds). */
  rounds?: number;
  /** Local epochs per head-only round (default NEW_HEADS_LOCAL_EPOCHS). */
  localEpochs?: number;
  /** AdamW learning rate of the head-only rounds (default: the router's). */
  learningRate?: number;
}

export interface JoinClientsOptions {
  /** Rounds in which only the joining clients train (default 2). */
  rounds?: number;
  /** Weight of the distillation term (default 1). */
  distillation?: number;
}

export const JOIN_ROUNDS = 2;

/**
 * Local epochs of a head-only round. The new heads start from zero weights and a client has
 * evaluated the new models on few queries (10% in the harness), so one epoch is one or two
 * AdamW steps and five rounds leave the heads at their starting bias. With the trunk frozen each
 * head is a logistic (and a linear) regression on fixed features, so more epochs fit rather than
 * overfit: measured on routerbench-subset (new-models, seeds 1 to 3, global AUC after adding)
 * 0.837, 0.846, 0.834 with 10 epochs against 0.837, 0.816, 0.834 with 1; lr 1e-2 instead lost
 * 0.02 to 0.05 on two seeds.
 */
export const NEW_HEADS_LOCAL_EPOCHS = 10;

function requireTrained(state: MlpState, what: string): void {
  if (state.phase !== "done" || !state.costStats) throw new RangeError(`${what} needs a trained router`);
}

/** The parameters widened to more models: trunk and old heads copied, new head rows zero. */
export function widenParameters(
  layout: ParameterLayout,
  params: Float32Array,
  modelCount: number,
): Float32Array {
  const wide = parameterLayout({ ...layout.shape, modelCount });
  const tensors = unflatten(layout, params);
  const widened: Record<string, Float32Array> = {};
  for (const slot of wide.slots) {
    const old = tensors[slot.name];
    const tensor = new Float32Array(slot.length);
    tensor.set(old);
    widened[slot.name] = tensor;
  }
  return flatten(wide, widened);
}

/**
 * The state after the federation adds LLMs: new heads (zero rows), then a statistics pass over
 * the clients' observations of the new models, then head-only rounds.
 */
export function addModels(
  state: MlpState,
  names: readonly string[],
  options: AddModelsOptions = {},
): MlpState {
  requireTrained(state, "adding models");
  const costStats = state.costStats!;
  if (names.length === 0) throw new RangeError("no models to add");
  const clash = names.filter((m) => state.config.models.includes(m));
  if (clash.length || new Set(names).size !== names.length)
    throw new RangeError(`models already in the router or repeated: ${clash.join(", ") || names.join(", ")}`);
  const first = state.config.models.length;
  const total = first + names.length;
  const rounds = options.rounds ?? state.config.rounds;
  if (!Number.isInteger(rounds) || rounds < 0) throw new RangeError("rounds must be >= 0");
  const mu = new Float64Array(total);
  const sigma = new Float64Array(total).fill(1);
  // The added models have no observations until their statistics pass.
  const count = new Float64Array(total);
  mu.set(costStats.mu);
  sigma.set(costStats.sigma);
  count.set(costStats.count ?? new Float64Array(first).fill(1));
  return {
    ...state,
    config: { ...state.config, models: [...state.config.models, ...names] },
    phase: "new-model-stats",
    params: widenParameters(parameterLayout(mlpShape(state.config)), state.params, total),
    costStats: { mu, sigma, count },
    growth: {
      kind: "new-models",
      firstAdded: first,
      rounds,
      round: 0,
      localEpochs: options.localEpochs ?? NEW_HEADS_LOCAL_EPOCHS,
      learningRate: options.learningRate ?? state.config.optimizer.learningRate,
    },
  };
}

/** The state in which new clients join: `rounds` rounds of their training with distillation. */
export function joinClients(state: MlpState, options: JoinClientsOptions = {}): MlpState {
  requireTrained(state, "joining clients");
  const rounds = options.rounds ?? JOIN_ROUNDS;
  const distillation = options.distillation ?? DISTILLATION_WEIGHT;
  if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError("rounds must be >= 1");
  if (!(distillation >= 0)) throw new RangeError("distillation weight must be >= 0");
  return {
    ...state,
    phase: "join",
    growth: { kind: "join", rounds, round: 0, distillation, teacher: state.params.slice() },
  };
}

export function newModelsGrowth(state: MlpState): NewModelsGrowth {
  if (state.growth?.kind !== "new-models") throw new RangeError(`no models are being added (${state.phase})`);
  return state.growth;
}

export function joinGrowth(state: MlpState): JoinGrowth {
  if (state.growth?.kind !== "join") throw new RangeError(`no clients are joining (${state.phase})`);
  return state.growth;
}

/** The flat ranges of the added models' heads, in contribution order. */
function addedHeadRanges(layout: ParameterLayout, firstAdded: number): { start: number; end: number }[] {
  const ranges = [];
  for (let m = firstAdded; m < layout.shape.modelCount; m++) ranges.push(...headRanges(layout, m));
  return ranges;
}

/** 1 on the added models' head rows and biases, 0 on the trunk and the old heads. */
export function newHeadsMask(layout: ParameterLayout, firstAdded: number): Float32Array {
  const mask = new Float32Array(layout.size);
  for (const { start, end } of addedHeadRanges(layout, firstAdded)) mask.fill(1, start, end);
  return mask;
}

/**
 * The new models' statistics sums over a client's observations of them: their cost-sums block
 * (cost-normalisation.ts), then the sum of quality (A).
 */
export function newModelStatsContribution(state: MlpState, set: MlpTrainingSet): Float64Array {
  const { firstAdded } = newModelsGrowth(state);
  const m = set.modelCount;
  const added = m - firstAdded;
  const sums = new Float64Array((COST_SUMS_PER_MODEL + 1) * added);
  for (let q = 0; q < set.n; q++) {
    for (let a = 0; a < added; a++) {
      const cell = q * m + firstAdded + a;
      if (!set.observed[cell]) continue;
      addCostObservation(sums, added, a, set.cost[cell]!);
      sums[COST_SUMS_PER_MODEL * added + a]! += set.quality[cell]!;
    }
  }
  capScaledSums(sums, added);
  return sums;
}

/** Keeps a starting quality estimate away from 0 and 1, where the logit is infinite. */
const QUALITY_FLOOR = 0.02;

/**
 * The new models' mu and sigma from the summed statistics; their quality biases start at the
 * logit of the models' mean observed quality (their heads' weights are zero), so the head-only
 * rounds refine an average rather than start from noise. Every other parameter keeps its bytes.
 */
export function finaliseNewModelStats(state: MlpState, total: Float64Array): MlpState {
  const growth = newModelsGrowth(state);
  const added = state.config.models.length - growth.firstAdded;
  const stats = costStatsFromTotals(total.subarray(0, COST_SUMS_PER_MODEL * added));
  const mu = state.costStats!.mu.slice();
  const sigma = state.costStats!.sigma.slice();
  const count = state.costStats!.count?.slice() ?? new Float64Array(mu.length).fill(1);
  mu.set(stats.mu, growth.firstAdded);
  sigma.set(stats.sigma, growth.firstAdded);
  count.set(stats.count!, growth.firstAdded);
  const layout = parameterLayout(mlpShape(state.config));
  const params = state.params.slice();
  const qualityBias = slotOf(layout, "quality.bias");
  for (let a = 0; a < added; a++) {
    const count = total[a]!;
    if (count <= 0) continue;
    const mean = Math.min(
      1 - QUALITY_FLOOR,
      Math.max(QUALITY_FLOOR, total[COST_SUMS_PER_MODEL * added + a]! / count),
    );
    params[qualityBias.offset + growth.firstAdded + a] = Math.log(mean / (1 - mean));
  }
  const phase: MlpPhase = growth.rounds > 0 ? "new-model-heads" : "done";
  return {
    ...state,
    phase,
    params,
    costStats: { mu, sigma, count },
    ...(phase === "done" ? { growth: undefined } : {}),
  };
}

/** Local training of the new heads only. */
export function newHeadsTrainingOptions(state: MlpState, base: LocalTrainingOptions): LocalTrainingOptions {
  const growth = newModelsGrowth(state);
  return {
    ...base,
    epochs: growth.localEpochs,
    optimizer: { ...base.optimizer, learningRate: growth.learningRate },
    trainable: newHeadsMask(parameterLayout(base.shape), growth.firstAdded),
  };
}

/**
 * A head-only round's contribution: [n, observed cells of each added model (A), the added heads'
 * weighted deltas, model after model]; the frozen parameters are not sent at all, and the heads'
 * delta is clipped to the configuration's deltaClip before it is weighted.
 */
export function newHeadsContribution(
  state: MlpState,
  set: MlpTrainingSet,
  trained: Float32Array,
): Float64Array {
  const { firstAdded } = newModelsGrowth(state);
  const layout = parameterLayout(mlpShape(state.config));
  const added = layout.shape.modelCount - firstAdded;
  const ranges = addedHeadRanges(layout, firstAdded);
  const perModel = ranges.slice(0, 4).reduce((s, r) => s + r.end - r.start, 0);
  const contribution = new Float64Array(1 + added + added * perModel);
  if (set.n === 0) return contribution;
  contribution[0] = set.n;
  const m = set.modelCount;
  for (let q = 0; q < set.n; q++) {
    for (let a = 0; a < added; a++) contribution[1 + a]! += set.observed[q * m + firstAdded + a]!;
  }
  const deltas = contribution.subarray(1 + added);
  let k = 0;
  for (const { start, end } of ranges)
    for (let p = start; p < end; p++) deltas[k++] = trained[p]! - state.params[p]!;
  clipDelta(deltas, state.config.deltaClip);
  // A new head is averaged over the clients that evaluated its model whatever the rounds'
  // weighting: only a tenth of the queries evaluate a new model by default, and averaging by n
  // would shrink its head's steps by as much.
  for (let a = 0; a < added; a++) {
    const weight = contribution[1 + a]!;
    for (let i = a * perModel; i < (a + 1) * perModel; i++) deltas[i] = deltas[i]! * weight;
  }
  return contribution;
}

export function newHeadsContributionLength(state: MlpState): number {
  const { firstAdded } = newModelsGrowth(state);
  const added = state.config.models.length - firstAdded;
  return 1 + added + added * 2 * (state.config.hidden + 1);
}

/** Adds the averaged deltas to the added heads; every other byte of the parameters is kept. */
export function finaliseNewHeads(state: MlpState, total: Float64Array): MlpState {
  const growth = newModelsGrowth(state);
  const layout = parameterLayout(mlpShape(state.config));
  const added = layout.shape.modelCount - growth.firstAdded;
  const params = state.params.slice();
  let k = 1 + added;
  for (const [i, { start, end }] of addedHeadRanges(layout, growth.firstAdded).entries()) {
    const weight = total[1 + Math.floor(i / 4)]!;
    for (let p = start; p < end; p++, k++) if (weight > 0) params[p] = params[p]! + total[k]! / weight;
  }
  const round = growth.round + 1;
  const done = round >= growth.rounds;
  return {
    ...state,
    params,
    phase: done ? "done" : "new-model-heads",
    growth: done ? undefined : { ...growth, round },
  };
}

/** Local training of a joining client: all parameters, plus distillation towards the teacher. */
export function joinTrainingOptions(
  state: MlpState,
  set: MlpTrainingSet,
  base: LocalTrainingOptions,
): LocalTrainingOptions {
  const growth = joinGrowth(state);
  if (!growth.distillation) return base;
  const teacher: TeacherPredictions = teacherPredictions(base.shape, growth.teacher, set);
  return { ...base, distillation: { weight: growth.distillation, teacher } };
}

export function advanceJoin(state: MlpState, params: Float32Array): MlpState {
  const growth = joinGrowth(state);
  const round = growth.round + 1;
  const done = round >= growth.rounds;
  return {
    ...state,
    params,
    phase: done ? "done" : "join",
    growth: done ? undefined : { ...growth, round },
  };
}
