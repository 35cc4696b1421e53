// Exploration: how a router that learns from the traffic it serves chooses among the eligible
// models. Greedy always takes the best predicted utility; epsilon-greedy and softmax sometimes take
// another, so that a model that looked bad early is still tried, and every choice carries the
// probability (propensity) with which it was made, so training can undo the choice's bias.
import type { Random } from "./random.ts";

export type ExplorationPolicy =
  | { policy: "greedy" }
  /** With probability epsilon, a model drawn uniformly from the eligible ones. */
  | { policy: "epsilon-greedy"; epsilon: number }
  /** P(model) proportional to exp(utility / temperature); utility in quality units. */
  | { policy: "softmax"; temperature: number };

export const EXPLORATION_POLICIES = ["greedy", "epsilon-greedy", "softmax"] as const;

/**
 * The default, chosen by measurement (docs/exploration.md): with the K-means router over both data
 * sets and seeds 1-3, softmax at this temperature with propensity weights ended with the highest
 * mean global AUC among the settings that gave up at most 0.01 realised utility against greedy.
 */
export const DEFAULT_EXPLORATION: ExplorationPolicy = { policy: "softmax", temperature: 0.05 };

/**
 * What each router kind explores with when its app learns from routed traffic (the SDK's
 * "explore", the online scenario's default), each chosen by the same rule fixed in advance
 * (docs/exploration.md, "Choosing the default"): the highest final global AUC over both data sets
 * and seeds 1-3, with weights, among the settings whose mean realised utility is within 0.01 of
 * greedy's. K-means: softmax 0.05. The MLP: greedy. Its softmax 0.05 gave up 0.011 utility on
 * routerbench-subset (outside the bound) for no AUC gain beyond one training's noise; with weights
 * greedy still learns from evaluations recorded with a propensity below 1 (a first version's
 * uniform choices, other clients' exploration). A kind not listed explores as K-means does.
 */
export const KIND_EXPLORATION: Readonly<Record<string, ExplorationPolicy>> = {
  kmeans: DEFAULT_EXPLORATION,
  mlp: { policy: "greedy" },
};

/** The exploring policy of a router kind (KIND_EXPLORATION; DEFAULT_EXPLORATION for any other). */
export function explorationFor(kind: string): ExplorationPolicy {
  return Object.hasOwn(KIND_EXPLORATION, kind) ? KIND_EXPLORATION[kind]! : DEFAULT_EXPLORATION;
}

/** The epsilon and temperature the online scenario measures each policy at. */
export const POLICY_SETTINGS: Record<(typeof EXPLORATION_POLICIES)[number], ExplorationPolicy> = {
  greedy: { policy: "greedy" },
  "epsilon-greedy": { policy: "epsilon-greedy", epsilon: 0.1 },
  softmax: DEFAULT_EXPLORATION,
};

/** A refusal (for people) of a policy's parameters, or undefined when they are usable. */
export function checkExploration(exploration: ExplorationPolicy): string | undefined {
  if (exploration.policy === "greedy") return undefined;
  if (exploration.policy === "epsilon-greedy") {
    const { epsilon } = exploration;
    return Number.isFinite(epsilon) && epsilon >= 0 && epsilon <= 1
      ? undefined
      : `epsilon must be a number in [0, 1], got ${epsilon}`;
  }
  if (exploration.policy === "softmax") {
    const { temperature } = exploration;
    return Number.isFinite(temperature) && temperature > 0
      ? undefined
      : `temperature must be a finite number > 0, got ${temperature}`;
  }
  return `unknown exploration policy ${JSON.stringify((exploration as { policy: unknown }).policy)}`;
}

/**
 * The probability of choosing each model. `scores` are the predicted utilities, `eligible` 1 where
 * a model may be chosen; ineligible models get 0 and the eligible ones sum to 1. `greedyIndex` is
 * the model greedy takes (the routing rule breaks ties by cost, which scores alone cannot see).
 */
export function choiceProbabilities(
  scores: ArrayLike<number>,
  eligible: ArrayLike<number>,
  greedyIndex: number,
  exploration: ExplorationPolicy,
  out: Float64Array = new Float64Array(scores.length),
): Float64Array {
  out.fill(0);
  let count = 0;
  for (let j = 0; j < scores.length; j++) if (eligible[j]) count++;
  if (count === 0) return out;
  if (exploration.policy === "greedy" || (exploration.policy === "epsilon-greedy" && count === 1)) {
    out[greedyIndex] = 1;
    return out;
  }
  if (exploration.policy === "epsilon-greedy") {
    const share = exploration.epsilon / count;
    for (let j = 0; j < scores.length; j++) if (eligible[j]) out[j] = share;
    out[greedyIndex]! += 1 - exploration.epsilon;
    return out;
  }
  // Softmax, shifted by the best score so that exp never overflows.
  let best = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < scores.length; j++) if (eligible[j]) best = Math.max(best, scores[j]!);
  let total = 0;
  for (let j = 0; j < scores.length; j++) {
    if (!eligible[j]) continue;
    out[j] = Math.exp((scores[j]! - best) / exploration.temperature);
    total += out[j]!;
  }
  for (let j = 0; j < scores.length; j++) out[j]! /= total;
  return out;
}

/** Draws an index from probabilities summing to 1 (the last positive one absorbs rounding). */
export function drawChoice(probabilities: ArrayLike<number>, random: Random): number {
  let u = random();
  let last = -1;
  for (let j = 0; j < probabilities.length; j++) {
    const p = probabilities[j]!;
    if (p <= 0) continue;
    last = j;
    if (u < p) return j;
    u -= p;
  }
  return last;
}

/** Inverse-propensity weights are clipped at this by default (a propensity below 1/10 counts as 1/10). */
export const DEFAULT_WEIGHT_CLIP = 10;

/**
 * Training weights of a client's observations from the propensities they were chosen with:
 * 1/propensity clipped at `clip` (a rare choice must not dominate), then scaled so the weighted
 * observations' weights average 1 (self-normalised: the client's total weight stays its count of
 * observations, so the secure sums weigh clients as before). Observations without a propensity
 * (NaN: offline judgements, not chosen by a policy) weigh 1.
 */
export function propensityWeights(propensities: ArrayLike<number>, clip = DEFAULT_WEIGHT_CLIP): Float32Array {
  if (!(clip >= 1)) throw new RangeError(`the weight clip must be at least 1, got ${clip}`);
  const weights = new Float32Array(propensities.length).fill(1);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < propensities.length; i++) {
    const p = propensities[i]!;
    if (Number.isNaN(p)) continue;
    if (!(p > 0 && p <= 1)) throw new RangeError(`propensity ${i} is ${p}, not in (0, 1]`);
    weights[i] = Math.min(clip, 1 / p);
    sum += weights[i]!;
    count++;
  }
  if (count > 0) {
    const scale = count / sum;
    for (let i = 0; i < propensities.length; i++) if (!Number.isNaN(propensities[i]!)) weights[i]! *= scale;
  }
  return weights;
}
