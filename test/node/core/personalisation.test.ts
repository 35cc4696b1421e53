import { describe, expect, it } from "vitest";
import {
  inverseErrorWeight,
  mixPredictions,
  mixtureWeights,
  trainingErrors,
} from "../../../core/personalisation.ts";

describe("adaptive personalisation", () => {
  it("weights each router by inverse training error", () => {
    // err_global 0.1, err_local 0.3: w = 10 / (10 + 3.33) = 0.75.
    expect(inverseErrorWeight(0.1, 0.3)).toBeCloseTo(0.75, 12);
    expect(inverseErrorWeight(0.3, 0.1)).toBeCloseTo(0.25, 12);
    expect(inverseErrorWeight(Number.NaN, Number.NaN)).toBe(0.5);
    expect(inverseErrorWeight(0, 0.2)).toBe(1);
  });

  it("computes the weights of a hand-made client from its own observed cells only", () => {
    // Two queries, two models; the client observed model 0 on both queries, model 1 never.
    const observed = Uint8Array.from([1, 0, 1, 0]);
    const quality = [1, 0, 0, 0];
    const cost = [0.5, 0, 0.5, 0];
    const global = {
      quality: Float64Array.from([0.8, 0.9, 0.2, 0.9]), // errors 0.04, 0.04 -> 0.04
      cost: Float64Array.from([0.5, 1, 0.5, 1]), // exact -> 0
      available: null,
    };
    const local = {
      quality: Float64Array.from([0.6, 0, 0.4, 0]), // errors 0.16, 0.16 -> 0.16
      cost: Float64Array.from([Math.E - 1, 0, 0.5, 0]), // log1p error (1 - log 1.5)^2 on one query
      available: null,
    };
    const errGlobal = trainingErrors(global, observed, quality, cost, 2);
    const errLocal = trainingErrors(local, observed, quality, cost, 2);
    expect(errGlobal.quality[0]).toBeCloseTo(0.04, 12);
    expect(errLocal.quality[0]).toBeCloseTo(0.16, 12);
    expect(errGlobal.quality[1]).toBeNaN();
    const weights = mixtureWeights(errGlobal, errLocal);
    // Quality: (1/0.04) / (1/0.04 + 1/0.16) = 25 / 31.25 = 0.8.
    expect(weights.quality[0]).toBeCloseTo(0.8, 12);
    // Cost: the federated router is exact on this client's cells, so it takes all the weight.
    expect(weights.cost[0]).toBe(1);
    // Model 1 was never observed: an even split.
    expect(weights.quality[1]).toBe(0.5);
    expect(weights.cost[1]).toBe(0.5);
    const mixed = mixPredictions(global, local, weights);
    expect(mixed.quality[0]).toBeCloseTo(0.8 * 0.8 + 0.2 * 0.6, 12);
    expect(mixed.quality[1]).toBeCloseTo(0.45, 12);
  });

  it("falls back to whichever router can predict a model, and to none when neither can", () => {
    const weights = { quality: Float64Array.from([0.5, 0.5]), cost: Float64Array.from([0.5, 0.5]) };
    const global = {
      quality: Float64Array.from([0.9, 0.1]),
      cost: Float64Array.from([1, 1]),
      available: Uint8Array.from([1, 0]),
    };
    const local = {
      quality: Float64Array.from([0.1, 0.7]),
      cost: Float64Array.from([3, 3]),
      available: Uint8Array.from([0, 0]),
    };
    const mixed = mixPredictions(global, local, weights);
    expect(Array.from(mixed.quality)).toEqual([0.9, 0]);
    expect(Array.from(mixed.available!)).toEqual([1, 0]);
  });
});
