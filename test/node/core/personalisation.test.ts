import { describe, expect, it } from "vitest";
import type { EvaluationSet } from "../../../core/data/evaluations.ts";
import {
  adaptiveMixture,
  crossValidatedErrors,
  inverseErrorWeight,
  mixPredictions,
  mixtureWeights,
  shrinkErrors,
  trainingErrors,
} from "../../../core/personalisation.ts";
import type { BatchPredictor } from "../../../core/prediction.ts";

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

  it("scores a cell the router does not predict as quality 0 at 0 USD, whatever values it holds", () => {
    // One model observed on two queries (quality 1 and 0, cost e - 1); the router predicts the
    // first only. Its untrained values on the second (0.9, 5 USD) must not count.
    const observed = Uint8Array.from([1, 1]);
    const quality = [1, 0];
    const cost = [Math.E - 1, Math.E - 1];
    const router = {
      quality: Float64Array.from([0.5, 0.9]),
      cost: Float64Array.from([Math.E - 1, 5]),
      available: Uint8Array.from([1, 0]),
    };
    const errors = trainingErrors(router, observed, quality, cost, 1);
    // Quality: ((0.5 - 1)^2 + (0 - 0)^2) / 2; cost: (0 + (log1p 0 - 1)^2) / 2.
    expect(errors.quality[0]).toBeCloseTo(0.125, 12);
    expect(errors.cost[0]).toBeCloseTo(0.5, 12);
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

/**
 * A client with 4 queries and 2 models: model 0 observed on every query with quality 1, 0, 1, 1
 * and cost e - 1 (log1p cost 1); model 1 never observed.
 */
function handMadeClient(): EvaluationSet {
  return {
    n: 4,
    dimension: 1,
    modelCount: 2,
    features: Float32Array.of(0, 1, 2, 3),
    quality: Float32Array.of(1, 0, 0, 0, 1, 0, 1, 0),
    cost: Float32Array.of(Math.E - 1, 0, Math.E - 1, 0, Math.E - 1, 0, Math.E - 1, 0),
    observed: Uint8Array.of(1, 0, 1, 0, 1, 0, 1, 0),
  };
}

/** A "router" predicting, per model, the mean observed quality and cost of the set it was fitted to. */
async function fitMeans(set: EvaluationSet): Promise<BatchPredictor> {
  const m = set.modelCount;
  const quality = new Float64Array(m);
  const cost = new Float64Array(m);
  const count = new Float64Array(m);
  for (let cell = 0; cell < set.n * m; cell++) {
    if (!set.observed[cell]) continue;
    quality[cell % m]! += set.quality[cell]!;
    cost[cell % m]! += set.cost[cell]!;
    count[cell % m]! += 1;
  }
  return (features) => {
    const n = features.length / set.dimension;
    const q = new Float64Array(n * m);
    const c = new Float64Array(n * m);
    for (let cell = 0; cell < n * m; cell++) {
      const j = cell % m;
      q[cell] = count[j]! > 0 ? quality[j]! / count[j]! : 0.5;
      c[cell] = count[j]! > 0 ? cost[j]! / count[j]! : 0;
    }
    return { quality: q, cost: c, available: null };
  };
}

describe("the adaptive mixture's errors", () => {
  it("measures the local router on folds it was not fitted to", async () => {
    const set = handMadeClient();
    // In-sample the mean 0.75 is off by 0.25, 0.75, 0.25, 0.25: error 0.1875.
    const inSample = trainingErrors(
      await (await fitMeans(set))(set.features),
      set.observed,
      set.quality,
      set.cost,
      2,
    );
    expect(inSample.quality[0]).toBeCloseTo(0.1875, 12);
    // Two folds, rows {0, 2} and {1, 3}. Fitted to rows 1 and 3 (mean 0.5), rows 0 and 2 (quality
    // 1) are off by 0.5 each; fitted to rows 0 and 2 (mean 1), row 1 is off by 1, row 3 by 0.
    const cv = await crossValidatedErrors(fitMeans, set, 2);
    expect(cv.quality[0]).toBeCloseTo((0.25 + 0.25 + 1 + 0) / 4, 12);
    expect(cv.cost[0]).toBeCloseTo(0, 6);
    expect(cv.quality[1]).toBeNaN();
  });

  it("weights the federated router by its in-sample error against the local router's held-out one", async () => {
    const set = handMadeClient();
    // The federated router predicts 0.75 for model 0 everywhere (error 0.1875) and the exact cost.
    const global: BatchPredictor = (features) => ({
      quality: new Float64Array(features.length * 2).fill(0.75),
      cost: new Float64Array(features.length * 2).fill(Math.E - 1),
      available: null,
    });
    const { weights, errors } = await adaptiveMixture(global, fitMeans, set, { folds: 2 });
    expect(errors.global.quality[0]).toBeCloseTo(0.1875, 12);
    expect(errors.local.quality[0]).toBeCloseTo(0.375, 12);
    // (1 / 0.1875) / (1 / 0.1875 + 1 / 0.375) = 2/3.
    expect(weights.quality[0]).toBeCloseTo(2 / 3, 12);
    // Model 1 was never observed: an even split, for quality and cost alike.
    expect(weights.quality[1]).toBe(0.5);
    expect(weights.cost[1]).toBe(0.5);
    // With the in-sample local error (0.1875, the same as the federated one) it would be 0.5.
    const naive = mixtureWeights(
      errors.global,
      trainingErrors(await (await fitMeans(set))(set.features), set.observed, set.quality, set.cost, 2),
    );
    expect(naive.quality[0]).toBeCloseTo(0.5, 12);
  });
});

describe("per-model error shrinkage", () => {
  it("pulls a model seen on few cells towards the pooled error and leaves well-observed ones nearly alone", () => {
    // Model 0: 2 cells, error 0 (a lucky local router); model 1: 200 cells at 0.2; model 2 never observed.
    const errors = {
      quality: Float64Array.of(0, 0.2, Number.NaN),
      cost: Float64Array.of(0.1, 0.1, Number.NaN),
    };
    const counts = [2, 200, 0];
    const shrunk = shrinkErrors(errors, counts, 10);
    const pooled = (2 * 0 + 200 * 0.2) / 202;
    expect(shrunk.quality[0]).toBeCloseTo((10 * pooled) / 12, 12);
    expect(shrunk.quality[1]).toBeCloseTo((200 * 0.2 + 10 * pooled) / 210, 12);
    expect(shrunk.quality[2]).toBeNaN();
    // Equal errors everywhere are their own pooled value: nothing moves.
    expect(shrunk.cost[0]).toBeCloseTo(0.1, 12);
    expect(shrunk.cost[1]).toBeCloseTo(0.1, 12);
    // Strength zero leaves the errors as they are.
    expect([...shrinkErrors(errors, counts, 0).quality.subarray(0, 2)]).toEqual([0, 0.2]);
  });

  it("steadies the adaptive mixture by default: a model on a few lucky cells no longer takes all the weight", async () => {
    // Model 0 observed on 10 queries (quality alternating 1, 0), model 1 on 4 queries, always 1.
    const n = 14;
    const set: EvaluationSet = {
      n,
      dimension: 1,
      modelCount: 2,
      features: Float32Array.from({ length: n }, (_, i) => i),
      quality: new Float32Array(2 * n),
      cost: new Float32Array(2 * n).fill(1),
      observed: new Uint8Array(2 * n),
    };
    for (let q = 0; q < 10; q++) {
      set.observed[2 * q] = 1;
      set.quality[2 * q] = q % 2;
    }
    for (let q = 10; q < n; q++) {
      set.observed[2 * q + 1] = 1;
      set.quality[2 * q + 1] = 1;
    }
    // The federated router predicts 0.5 for model 0 (error 0.25) and 0.9 for model 1 (error 0.01).
    const global: BatchPredictor = (features) => ({
      quality: Float64Array.from({ length: features.length * 2 }, (_, c) => (c % 2 ? 0.9 : 0.5)),
      cost: new Float64Array(features.length * 2).fill(1),
      available: null,
    });
    const plain = await adaptiveMixture(global, fitMeans, set, { shrinkage: 0 });
    // The local means are exact on model 1's held-out cells: error 0, so the federation gets nothing.
    expect(plain.errors.local.quality[1]).toBe(0);
    expect(plain.weights.quality[1]).toBe(0);
    const steadied = await adaptiveMixture(global, fitMeans, set);
    expect(steadied.weights.quality[1]).toBeGreaterThan(0.1);
    expect(steadied).toEqual(await adaptiveMixture(global, fitMeans, set, { shrinkage: 10 }));
  });
});
