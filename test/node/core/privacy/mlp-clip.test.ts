// Client-level DP for the MLP router: the units its passes are clipped and noised in.
import { describe, expect, it } from "vitest";
import { COST_SUMS_PER_MODEL, costStatsFromTotals } from "../../../../core/mlp/cost-normalisation.ts";
import { initialMlpState } from "../../../../core/mlp/state.ts";
import { mlpAfterNoise, mlpClip } from "../../../../core/privacy/mlp-clip.ts";
import { afterRoundNoise, roundClip } from "../../../../core/privacy/round-privacy.ts";

const embedder = { id: "e", dimension: 4 };

describe("the MLP's clip in units", () => {
  it("noises each model's cost sums in its price and spends nothing on the scaled copies", () => {
    const state = initialMlpState({ models: ["cheap", "dear"], embedder, tags: [], hidden: 2 });
    const length = (COST_SUMS_PER_MODEL + 1) * 2;
    const { norm, units } = mlpClip(state, length, { cap: 10, costUnits: [1e-5, 0.01] });
    expect(norm).toBe(10);
    // [count (2), scale 1: sums (2), squares (2), ...scaled copies..., quality (2)]
    const expected = [1, 1, 1e-5, 0.01, 1e-10, 1e-4];
    expect(Array.from(units!.subarray(0, 6))).toEqual(expected.map((u) => expect.closeTo(u, 15)));
    expect(units!.subarray(6, COST_SUMS_PER_MODEL * 2).every((u) => u >= 1e6)).toBe(true);
    expect(Array.from(units!.subarray(COST_SUMS_PER_MODEL * 2))).toEqual([1, 1]);
  });

  it("reads the cost statistics from the unscaled sums after the noise", () => {
    const state = initialMlpState({ models: ["a"], embedder, tags: [], hidden: 2 });
    // 100 cells at log1p(cost) 0.001 each, the scaled copies swamped by noise.
    const total = new Float64Array(COST_SUMS_PER_MODEL + 1).fill(37);
    total[0] = 100;
    total[1] = 0.1;
    total[2] = 1e-4;
    const stats = costStatsFromTotals(mlpAfterNoise(state, total).subarray(0, COST_SUMS_PER_MODEL));
    expect(stats.mu[0]).toBeCloseTo(0.001, 12);
  });

  it("weighs a FedAvg round's delta by the row count alone, in tens of rows: the per-model counts take no norm", () => {
    const state = {
      ...initialMlpState({ models: ["a", "b"], embedder, tags: [], hidden: 2 }),
      phase: "train" as const,
    };
    const { units } = mlpClip(state, 10, { cap: 10, costUnits: [1, 1] });
    expect(units![0]).toBe(10);
    expect(units![1]! >= 1e6 && units![2]! >= 1e6).toBe(true);
    expect(Array.from(units!.subarray(3))).toEqual([1, 1, 1, 1, 1, 1, 1]);
  });
});

describe("the MLP's clip in a real round (round-privacy.ts)", () => {
  const privacy = { noiseMultiplier: 1, clipNorm: 10, noiseShares: 3, costUnits: [1e-5, 0.01] };

  it("is the clip the simulation uses, and any other kind's is the whole vector in its own units", () => {
    const state = initialMlpState({ models: ["cheap", "dear"], embedder, tags: [], hidden: 2 });
    const length = (COST_SUMS_PER_MODEL + 1) * 2;
    expect(roundClip("mlp", state, length, privacy)).toEqual(
      mlpClip(state, length, { cap: 10, costUnits: privacy.costUnits }),
    );
    expect(roundClip("mean", {}, 3, privacy)).toEqual({ norm: 10, units: new Float64Array(3).fill(1) });
  });

  it("sets the unbudgeted scaled copies aside after the noise, as the simulation does", () => {
    const state = initialMlpState({ models: ["a"], embedder, tags: [], hidden: 2 });
    const total = new Float64Array(COST_SUMS_PER_MODEL + 1).fill(37);
    const expected = mlpAfterNoise(state, Float64Array.from(total));
    expect(afterRoundNoise("mlp", state, total, privacy)).toEqual(expected);
  });
});
