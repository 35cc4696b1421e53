import { describe, expect, it } from "vitest";
import { emptyEvaluationSet } from "../../../core/data/evaluations.ts";
import {
  addEvidence,
  blendPredictions,
  departureEvidence,
  emptyEvidence,
  evidenceWeight,
  heldOutPredictions,
  modelWeights,
  priorEvidenceWeights,
  weightsOf,
} from "../../../core/personalisation-prior.ts";
import type { BatchPrediction, BatchPredictor } from "../../../core/prediction.ts";
import { seededRandom } from "../../../core/random.ts";

/** A hand-made client: one model, `n` queries, all observed, with the given outcomes. */
function client(outcomes: readonly number[]) {
  const set = emptyEvaluationSet(outcomes.length, 1, 1);
  outcomes.forEach((y, r) => {
    set.features[r] = r;
    set.quality[r] = y;
    set.cost[r] = 0.01;
    set.observed[r] = 1;
  });
  return set;
}

/** The same weights for both models of the hand-made cases. */
const weights = (quality: number, cost: number, models = 2) => ({
  quality: new Float64Array(models).fill(quality),
  cost: new Float64Array(models).fill(cost),
});

const constant =
  (quality: number, cost: number): BatchPredictor =>
  (features) => ({
    quality: new Float64Array(features.length).fill(quality),
    cost: new Float64Array(features.length).fill(cost),
    available: null,
  });

describe("prior and evidence", () => {
  it("returns the federated prediction exactly when there is no evidence", async () => {
    expect(evidenceWeight(emptyEvidence())).toBe(0);
    const federated: BatchPrediction = {
      quality: Float64Array.from([0.3, 0.71]),
      cost: Float64Array.from([0.002, 0.5]),
      available: null,
    };
    const local: BatchPrediction = {
      quality: Float64Array.from([0.9, 0.1]),
      cost: Float64Array.from([0.02, 0.05]),
      available: null,
    };
    expect(blendPredictions(federated, local, weights(0, 0))).toEqual({
      ...federated,
      available: Uint8Array.from([1, 1]),
    });
    // A client with no recorded evaluation: no training of a local router, weights 0.
    let trained = 0;
    const empty = emptyEvaluationSet(0, 1, 1);
    const none = await priorEvidenceWeights(
      constant(0.5, 0.01),
      async () => {
        trained++;
        return constant(0.9, 0.01);
      },
      empty,
    );
    expect(none.weights).toEqual(weights(0, 0, 1));
    expect(trained).toBe(0);
  });

  it("keeps the federated prediction where the local router's departures are noise", () => {
    // Residuals y - f of +-0.5 in a pattern unrelated to the departures d = +-0.2.
    const e = emptyEvidence();
    for (let i = 0; i < 40; i++) addEvidence(e, 0.5, 0.5 + (i % 2 === 0 ? 0.2 : -0.2), (i >> 1) % 2);
    expect(e.departureResidual).toBeCloseTo(0, 12);
    expect(evidenceWeight(e)).toBe(0);
    // Departures the wrong way (away from the outcomes) get no weight either.
    const wrong = emptyEvidence();
    for (let i = 0; i < 40; i++) addEvidence(wrong, 0.5, i % 2 === 0 ? 0.2 : 0.8, (i + 1) % 2);
    expect(evidenceWeight(wrong)).toBe(0);
  });

  it("approaches the local router as consistent evidence grows", () => {
    // The local router is right about where this client's outcomes lie (0.9 where f says 0.5,
    // 0.1 where f says 0.5), the outcomes being 0/1 draws around it.
    const weightWith = (cells: number) => {
      const random = seededRandom(7);
      const e = emptyEvidence();
      for (let i = 0; i < cells; i++) {
        const l = i % 2 === 0 ? 0.9 : 0.1;
        addEvidence(e, 0.5, l, random() < l ? 1 : 0);
      }
      return evidenceWeight(e);
    };
    const some = weightWith(100);
    const many = weightWith(100_000);
    expect(some).toBeGreaterThan(0.5);
    expect(some).toBeLessThanOrEqual(1);
    expect(many).toBeGreaterThan(0.99);
    expect(many).toBeLessThanOrEqual(1);
    const blended = blendPredictions(
      { quality: Float64Array.from([0.5]), cost: Float64Array.from([0.01]), available: null },
      { quality: Float64Array.from([0.9]), cost: Float64Array.from([0.04]), available: null },
      weights(many, 1, 1),
    );
    expect(blended.quality[0]).toBeCloseTo(0.9, 2);
    expect(blended.cost[0]).toBe(0.04);
  });

  it("computes the shrunk least-squares weight of a hand-made case", () => {
    // d = (0.2, -0.2, 0.2, -0.2), r = (0.3, -0.1, 0.1, -0.3): sum dr = 0.16, sum d^2 = 0.16,
    // w_ls = 1; residuals r - d = (0.1, 0.1, -0.1, -0.1), s^2 = 0.04 / 3, Var = s^2 / 0.16
    // = 1/12.
    const e = emptyEvidence();
    const d = [0.2, -0.2, 0.2, -0.2];
    const r = [0.3, -0.1, 0.1, -0.3];
    for (const [i, di] of d.entries()) addEvidence(e, 0.5, 0.5 + di, 0.5 + r[i]!);
    // Positive part: tau^2 = 1 - 1/12, w = 1 - 1/12.
    expect(evidenceWeight(e, "positive-part")).toBeCloseTo(1 - 1 / 12, 12);
    // Posterior: w = 1 * E[t^2 / (t^2 + 1/12)], t ~ U(0, 1) weighted by the likelihood
    // N(1; 0, t^2 + 1/12), by Simpson's rule on a fine grid.
    const v = 1 / 12;
    let top = 0;
    let bottom = 0;
    const steps = 20_000;
    for (let k = 0; k <= steps; k++) {
      const t2 = (k / steps) ** 2;
      const simpson = k === 0 || k === steps ? 1 : k % 2 === 1 ? 4 : 2;
      const likelihood = Math.exp(-0.5 / (t2 + v)) / Math.sqrt(t2 + v);
      top += (simpson * likelihood * t2) / (t2 + v);
      bottom += simpson * likelihood;
    }
    expect(evidenceWeight(e)).toBeCloseTo(top / bottom, 4);
    expect(evidenceWeight(e, "none")).toBeCloseTo(1, 12);
  });

  it("moves a little, never exactly nothing, on weak evidence toward the local router", () => {
    // 20 cells, residuals following the departures on 11 and against them on 9: w_ls = 0.1 with
    // a standard error far above it. The positive part gives exactly 0; the posterior mean a
    // small positive weight, below the least-squares one.
    const e = emptyEvidence();
    for (let i = 0; i < 20; i++) {
      const d = i % 2 === 0 ? 0.2 : -0.2;
      addEvidence(e, 0.5, 0.5 + d, i < 11 ? 0.5 + d : 0.5 - d);
    }
    expect(e.departureResidual / e.departureSquares).toBeCloseTo(0.1, 12);
    expect(evidenceWeight(e, "positive-part")).toBe(0);
    const w = evidenceWeight(e);
    expect(w).toBeGreaterThan(0);
    expect(w).toBeLessThan(0.1);
    // Fewer cells, the same pattern: less weight.
    const fewer = emptyEvidence();
    for (let i = 0; i < 10; i++) {
      const d = i % 2 === 0 ? 0.2 : -0.2;
      addEvidence(fewer, 0.5, 0.5 + d, i < 6 ? 0.5 + d : 0.5 - d);
    }
    expect(fewer.departureResidual / fewer.departureSquares).toBeCloseTo(0.2, 6);
    expect(evidenceWeight(fewer)).toBeGreaterThan(0);
  });

  it("moves a model only as far as both the pooled and the model's own evidence carry it", () => {
    // Two models. On model 0 the local router is right (outcomes follow its departures); on
    // model 1 its departures go against the outcomes. Pooled over both, the evidence is positive.
    const model0 = emptyEvidence();
    const model1 = emptyEvidence();
    for (let i = 0; i < 200; i++) {
      const up = i % 2 === 0;
      addEvidence(model0, 0.5, up ? 0.8 : 0.2, up ? 1 : 0);
      if (i < 60) addEvidence(model1, 0.5, up ? 0.7 : 0.3, up ? 0 : 1);
    }
    const pooled = emptyEvidence();
    for (const e of [model0, model1]) {
      pooled.cells += e.cells;
      pooled.departureResidual += e.departureResidual;
      pooled.departureSquares += e.departureSquares;
      pooled.residualSquares += e.residualSquares;
    }
    const evidence = {
      quality: [model0, model1],
      cost: [emptyEvidence(), emptyEvidence()],
      pooled: { quality: pooled, cost: emptyEvidence() },
    };
    const pooledWeight = weightsOf(evidence, "pooled").quality;
    expect(pooledWeight[0]).toBeGreaterThan(0);
    expect(pooledWeight[1]).toBe(pooledWeight[0]);
    const perModel = modelWeights(evidence.quality);
    expect(perModel[0]).toBeGreaterThan(0.9);
    expect(perModel[1]).toBe(0);
    const agreed = weightsOf(evidence, "agreement");
    expect(agreed.quality[0]).toBe(Math.min(perModel[0]!, pooledWeight[0]!));
    expect(agreed.quality[1]).toBe(0);
    // No cost evidence: the federated cost everywhere.
    expect(Array.from(agreed.cost)).toEqual([0, 0]);
  });

  it("keeps every model at the prior when the models' estimates scatter no more than their noise", () => {
    // Each model's departures are unrelated to its outcomes (residuals alternate in pairs).
    const models = Array.from({ length: 4 }, () => emptyEvidence());
    for (const e of models)
      for (let i = 0; i < 40; i++) addEvidence(e, 0.5, 0.5 + (i % 2 === 0 ? 0.2 : -0.2), (i >> 1) % 2);
    expect(Array.from(modelWeights(models))).toEqual([0, 0, 0, 0]);
    expect(Array.from(modelWeights(models, "positive-part"))).toEqual([0, 0, 0, 0]);
  });

  it("lets no model without information zero the others' weights", () => {
    // Models 0 and 1: the local router is right on 60 cells each. Model 2: departures of 1e-4 on
    // 3 cells, so its estimate carries no information (variance ~ 1e7). The method of moments'
    // unweighted mean of ls^2 - v is then negative and zeroes every model (what left a client
    // with overwhelming cost evidence at the federated router); tau's posterior weighs model 2
    // by its variance, so models 0 and 1 move nearly all the way.
    const models = [emptyEvidence(), emptyEvidence(), emptyEvidence()];
    for (let i = 0; i < 60; i++) {
      const up = i % 2 === 0;
      addEvidence(models[0]!, 0.5, up ? 0.8 : 0.2, up ? 0.8 : 0.2);
      addEvidence(models[1]!, 0.5, up ? 0.7 : 0.3, up ? 0.75 : 0.25);
    }
    for (let i = 0; i < 3; i++) addEvidence(models[2]!, 0.5, 0.5 + 1e-4 * (i - 1), i % 2);
    expect(Array.from(modelWeights(models, "positive-part"))).toEqual([0, 0, 0]);
    const w = modelWeights(models);
    expect(w[0]).toBeGreaterThan(0.99);
    expect(w[1]).toBeGreaterThan(0.99);
    expect(w[2]).toBeGreaterThanOrEqual(0);
    expect(w[2]).toBeLessThan(0.01);
  });

  it("judges the part of a quality departure that can change a routing decision", () => {
    // Two models, one observed per query. The federation predicts 0.5 for both; the truth is
    // 0.8 / 0.2 on half of the queries and 0.2 / 0.8 on the other half. The local router orders
    // the models right (a difference of 0.6) but finds every query 0.6 harder than it is.
    const n = 40;
    const set = emptyEvaluationSet(n, 1, 2);
    const federated: BatchPrediction = {
      quality: new Float64Array(2 * n).fill(0.5),
      cost: new Float64Array(2 * n).fill(0.01),
      available: null,
    };
    const local: BatchPrediction = {
      quality: new Float64Array(2 * n),
      cost: new Float64Array(2 * n).fill(0.01),
      available: null,
    };
    for (let r = 0; r < n; r++) {
      const first = (r >> 1) % 2 === 0;
      const truth = first ? [0.8, 0.2] : [0.2, 0.8];
      for (let j = 0; j < 2; j++) {
        local.quality[2 * r + j] = truth[j]! - 0.6;
        set.quality[2 * r + j] = truth[j]!;
        set.cost[2 * r + j] = 0.01;
      }
      set.observed[2 * r + (r % 2)] = 1;
    }
    const whole = departureEvidence(federated, local, set, "whole");
    const routing = departureEvidence(federated, local, set, "routing");
    // Whole: d = -0.3 or -0.9 against r = +-0.3, w_ls = 0.18 / 0.9 = 0.2, with noise.
    expect(whole.pooled.quality.departureResidual / whole.pooled.quality.departureSquares).toBeCloseTo(
      0.2,
      6,
    );
    // Routing: d less the query's mean departure (-0.6) is +-0.3, exactly the residual.
    expect(routing.pooled.quality.departureResidual / routing.pooled.quality.departureSquares).toBeCloseTo(
      1,
      6,
    );
    expect(evidenceWeight(routing.pooled.quality)).toBeCloseTo(1, 6);
    expect(evidenceWeight(whole.pooled.quality)).toBeLessThan(0.2);
    // Cost departures are judged whole either way.
    expect(routing.pooled.cost).toEqual(whole.pooled.cost);
  });

  it("judges the local router on cells it never saw, and only where both routers predict", async () => {
    const set = client([1, 0, 1, 0, 1, 0]);
    // A local router that echoes the mean outcome of the rows it was trained on.
    const train = async (subset: typeof set): Promise<BatchPredictor> => {
      let sum = 0;
      for (let r = 0; r < subset.n; r++) sum += subset.quality[r]!;
      return constant(sum / subset.n, 0.01);
    };
    const heldOut = await heldOutPredictions(train, set, 3);
    // Fold 0 holds rows 0 and 3 out: trained on 0, 1, 0, 1 (rows 1, 2, 4, 5) -> 0.5.
    expect(Array.from(heldOut.quality)).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
    const federated: BatchPrediction = {
      quality: new Float64Array(6).fill(0.4),
      cost: new Float64Array(6).fill(0.01),
      available: Uint8Array.from([1, 1, 1, 1, 0, 0]),
    };
    const evidence = departureEvidence(federated, heldOut, set);
    expect(evidence.pooled.quality.cells).toBe(4);
    expect(evidence.quality[0]!.cells).toBe(4);
    expect(evidence.pooled.quality.departureSquares).toBeCloseTo(4 * 0.01, 12);
    // With one model there is no routing decision to change: its routing departure is 0.
    expect(departureEvidence(federated, heldOut, set, "routing").pooled.quality.departureSquares).toBe(0);
  });
});
