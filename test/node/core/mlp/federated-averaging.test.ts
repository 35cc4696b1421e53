// The federated MLP's sums: cost statistics from sums, and FedAvg versus per-head weighting on
// a hand-made case.
import { describe, expect, it } from "vitest";
import { sumContributions } from "../../../../core/federated.ts";
import {
  COST_SUMS_PER_MODEL,
  costStatsContribution,
  costStatsFromTotals,
} from "../../../../core/mlp/cost-normalisation.ts";
import {
  applyAveragedDelta,
  createFederatedMlp,
  trainingContribution,
} from "../../../../core/mlp/federated.ts";
import { headRanges, parameterLayout, slotOf } from "../../../../core/mlp/layout.ts";
import type { LocalTrainer } from "../../../../core/mlp/local-training.ts";
import { initialMlpState, type MlpState } from "../../../../core/mlp/state.ts";
import { mlpTrainingSet } from "../../../../core/mlp/training-set.ts";
import { seededRandom } from "../../../../core/random.ts";

const embedder = { id: "e", dimension: 2 };
const models = ["a", "b"];

/** A client with n rows, observing model 0 on `seen0` rows and model 1 on `seen1` rows. */
function client(n: number, seen0: number, seen1: number, cost = 0.5) {
  const observed = new Uint8Array(n * 2);
  for (let q = 0; q < seen0; q++) observed[q * 2] = 1;
  for (let q = 0; q < seen1; q++) observed[q * 2 + 1] = 1;
  return mlpTrainingSet({
    n,
    dimension: 2,
    modelCount: 2,
    features: new Float32Array(n * 2),
    quality: new Float32Array(n * 2),
    cost: new Float32Array(n * 2).fill(cost),
    observed,
  });
}

function trainState(weighting: "per-head" | "fedavg"): MlpState {
  // The hand-made shifts move every weight by 4 or 8, far past the default deltaClip: these cases
  // pin the averaging, so the clip is out of their way (total-check.test.ts pins the clip).
  const state = initialMlpState({ models, embedder, hidden: 3, weighting, deltaClip: 1e6 });
  return {
    ...state,
    phase: "train",
    costStats: { mu: new Float64Array(2), sigma: new Float64Array(2).fill(1) },
  };
}

/** Trained weights = global + a constant per client, so the expected averages are easy to state. */
const shifted = (state: MlpState, by: number) => state.params.map((w) => w + by);

describe("federated MLP sums", () => {
  it("computes mu and sigma of log1p(cost) per model from summed contributions", () => {
    const a = client(2, 2, 1, Math.E - 1); // log1p = 1
    const b = client(2, 1, 0, Math.exp(3) - 1); // log1p = 3
    const stats = costStatsFromTotals(
      sumContributions([costStatsContribution(a), costStatsContribution(b)], 2 * COST_SUMS_PER_MODEL),
    );
    expect(stats.mu[0]).toBeCloseTo((1 + 1 + 3) / 3, 6);
    expect(stats.sigma[0]).toBeCloseTo(Math.sqrt((1 + 1 + 9) / 3 - (5 / 3) ** 2), 6);
    expect(stats.mu[1]).toBeCloseTo(1, 6);
    expect(stats.sigma[1]).toBeCloseTo(1e-3, 6); // one distinct value: the floor
  });

  it("averages every tensor by sample count under plain FedAvg", () => {
    const state = trainState("fedavg");
    const one = client(1, 1, 0);
    const three = client(3, 0, 3);
    const total = sumContributions(
      [
        trainingContribution(state, one, shifted(state, 4)),
        trainingContribution(state, three, shifted(state, 8)),
      ],
      1 + 2 + state.params.length,
    );
    const next = applyAveragedDelta(state, total);
    // (1 * 4 + 3 * 8) / 4 = 7 everywhere, heads included.
    for (let i = 0; i < next.length; i++) expect(next[i]! - state.params[i]!).toBeCloseTo(7, 5);
  });

  it("averages each head only over the clients that observed its model under per-head weighting", () => {
    const state = trainState("per-head");
    const layout = parameterLayout({ dimension: 2, hidden: 3, modelCount: 2 });
    const one = client(1, 1, 0); // sees only model 0
    const three = client(3, 1, 3); // model 0 once, model 1 three times
    const total = sumContributions(
      [
        trainingContribution(state, one, shifted(state, 4)),
        trainingContribution(state, three, shifted(state, 8)),
      ],
      1 + 2 + state.params.length,
    );
    const next = applyAveragedDelta(state, total);
    const moved = (i: number) => next[i]! - state.params[i]!;
    const trunk = slotOf(layout, "layer1.weight");
    expect(moved(trunk.offset)).toBeCloseTo(7, 5); // (1 * 4 + 3 * 8) / 4
    for (const { start, end } of headRanges(layout, 0)) {
      for (let i = start; i < end; i++) expect(moved(i)).toBeCloseTo(6, 5); // (1 * 4 + 1 * 8) / 2
    }
    for (const { start, end } of headRanges(layout, 1)) {
      for (let i = start; i < end; i++) expect(moved(i)).toBeCloseTo(8, 5); // only client "three"
    }
  });

  it("runs the statistics pass first, then the training rounds, through the algorithm contract", async () => {
    const calls: number[] = [];
    const trainer: LocalTrainer = {
      async train(params, set) {
        calls.push(set.n);
        return { params: params.map((w) => w + 1), epochLosses: [0] };
      },
    };
    const algorithm = createFederatedMlp(trainer);
    let state = initialMlpState({
      models,
      embedder,
      hidden: 3,
      rounds: 2,
      qualityPrior: false,
      calibrate: false,
    });
    const data = client(2, 2, 1, 1);
    const random = seededRandom(1);
    expect(algorithm.contributionLength(state)).toBe(2 * COST_SUMS_PER_MODEL);
    state = algorithm.finalise(state, await algorithm.contribute(state, data, random));
    expect(state.phase).toBe("train");
    expect(state.costStats?.mu[0]).toBeCloseTo(Math.log(2), 6);
    expect(calls).toEqual([]);
    const start = state.params;
    for (let round = 0; round < 2; round++) {
      state = algorithm.finalise(state, await algorithm.contribute(state, data, random));
    }
    expect(algorithm.done(state)).toBe(true);
    expect(calls).toEqual([2, 2]);
    expect(state.params[0]! - start[0]!).toBeCloseTo(2, 5);
  });
});
