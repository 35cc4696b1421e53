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
    // = 1/12, so w = 1 - 1/12.
    const e = emptyEvidence();
    const d = [0.2, -0.2, 0.2, -0.2];
    const r = [0.3, -0.1, 0.1, -0.3];
    for (const [i, di] of d.entries()) addEvidence(e, 0.5, 0.5 + di, 0.5 + r[i]!);
    expect(evidenceWeight(e)).toBeCloseTo(1 - 1 / 12, 12);
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
  });
});
