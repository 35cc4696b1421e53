// Exploration in the SDK: route() reports the propensity of its choice, record() keeps it with the
// evaluation, and the training set weighs routed evaluations by inverse propensity while offline
// judgements (recorded without one) weigh 1.
import { describe, expect, it } from "vitest";
import { FedRouterError } from "../../../client-sdk/src/errors.ts";
import type { ModelPredictor } from "../../../client-sdk/src/model/predictor.ts";
import { checkedEvaluation } from "../../../client-sdk/src/record.ts";
import { buildTrainingSet } from "../../../client-sdk/src/round/training-set.ts";
import { checkRouteArguments, explorationPolicy, routeVector } from "../../../client-sdk/src/route.ts";

const MODELS = ["small", "medium", "large"];
const embedder = { id: "toy", dimension: 2 };

/** Predicts the same for every row: medium is clearly best at lambda 0. */
const predictor: ModelPredictor = {
  kind: "toy",
  models: MODELS,
  embedder,
  tags: [],
  async predict(rows) {
    return {
      quality: rows.map(() => Float64Array.of(0.5, 0.8, 0.6)),
      cost: rows.map(() => Float64Array.of(0.001, 0.002, 0.003)),
    };
  },
};

describe("route() and record() with exploration", () => {
  it("reports propensity 1 when greedy and the drawn model's probability when exploring", async () => {
    const vector = Float32Array.of(1, 0);
    const greedy = await routeVector(predictor, 3, vector, {});
    expect(greedy).toMatchObject({ model: "medium", propensity: 1, version: 3 });
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const decision = await routeVector(predictor, 3, vector, { exploration: "explore" });
      expect(decision.propensity).toBeGreaterThan(0);
      expect(decision.propensity).toBeLessThanOrEqual(1);
      seen.add(decision.model);
    }
    // Softmax at temperature 0.05 over 0.5, 0.8, 0.6: small's share is e^-6 / (1 + e^-4 + e^-6).
    expect(seen.has("large")).toBe(true);
    const epsilon = await routeVector(predictor, 3, vector, {
      exploration: { policy: "epsilon-greedy", epsilon: 0.3 },
    });
    expect(epsilon.propensity).toBeCloseTo(epsilon.model === "medium" ? 0.8 : 0.1, 12);
  });

  it("explores as the federation's router kind was measured to: softmax for K-means, greedy for the MLP", async () => {
    expect(explorationPolicy("explore", "kmeans")).toEqual({ policy: "softmax", temperature: 0.05 });
    expect(explorationPolicy("explore", "mlp")).toEqual({ policy: "greedy" });
    // A kind without a measurement of its own explores as K-means does.
    expect(explorationPolicy("explore", "toy")).toEqual({ policy: "softmax", temperature: 0.05 });
    for (const kind of ["kmeans", "mlp"])
      expect(explorationPolicy(undefined, kind)).toEqual({ policy: "greedy" });
    const given = { policy: "epsilon-greedy", epsilon: 0.2 } as const;
    expect(explorationPolicy(given, "mlp")).toBe(given);
    const mlp = { ...predictor, kind: "mlp" };
    for (let i = 0; i < 20; i++) {
      const decision = await routeVector(mlp, 3, Float32Array.of(1, 0), { exploration: "explore" });
      expect(decision).toMatchObject({ model: "medium", propensity: 1 });
    }
  });

  it("refuses an exploration option that is neither a name nor a policy", () => {
    expect(() => checkRouteArguments({ exploration: "sometimes" })).toThrow(FedRouterError);
    expect(() => checkRouteArguments({ exploration: { policy: "softmax", temperature: -1 } })).toThrow(
      /temperature must be a finite number > 0/,
    );
  });

  it("keeps the propensity with the evaluation and refuses one outside (0, 1]", () => {
    const evaluation = { query: "q", model: "small", quality: 1, cost: 0.001, propensity: 0.25 };
    expect(checkedEvaluation(evaluation, () => 5)).toEqual({ ...evaluation, at: 5 });
    expect(() => checkedEvaluation({ ...evaluation, propensity: 0 })).toThrow(/propensity must be/);
    expect(() => checkedEvaluation({ ...evaluation, propensity: 1.5 })).toThrow(/propensity must be/);
  });
});

describe("training on routed evaluations", () => {
  it("weighs routed cells by clipped, self-normalised inverse propensity and offline ones 1", async () => {
    const evaluations = [
      { query: "a", model: "small", quality: 1, cost: 0.001, vector: [1, 0], propensity: 0.5 },
      { query: "b", model: "large", quality: 0, cost: 0.003, vector: [0, 1], propensity: 0.125 },
      { query: "c", model: "medium", quality: 1, cost: 0.002, vector: [1, 1] },
    ];
    const { set } = await buildTrainingSet(evaluations, MODELS, embedder, undefined);
    expect(set.weight).toBeDefined();
    // 1/p: 2 and 8, mean 5: weights 0.4 and 1.6; the offline judgement 1.
    expect(set.weight![0 * 3 + 0]).toBeCloseTo(0.4, 6);
    expect(set.weight![1 * 3 + 2]).toBeCloseTo(1.6, 6);
    expect(set.weight![2 * 3 + 1]).toBe(1);
    const offline = await buildTrainingSet(
      evaluations.map(({ propensity: _p, ...rest }) => rest),
      MODELS,
      embedder,
      undefined,
    );
    expect(offline.set.weight).toBeUndefined();
  });
});
