// Exploration policies and propensity weights: what routing with a policy promises (its
// propensities are a distribution over the eligible models, a model greedy never takes is still
// tried) and what training weights promise (clipped, self-normalised, offline judgements weigh 1).
import { describe, expect, it } from "vitest";
import {
  checkExploration,
  choiceProbabilities,
  DEFAULT_EXPLORATION,
  type ExplorationPolicy,
  explorationFor,
  KIND_EXPLORATION,
  propensityWeights,
} from "../../../core/exploration.ts";
import { seededRandom } from "../../../core/random.ts";
import { RoutingError, route } from "../../../core/routing.ts";

const MODELS = ["small", "medium", "large", "huge"];
// Predicted quality rises with cost; "huge" is not available (the router has no basis for it).
const PREDICTION = {
  quality: [0.5, 0.62, 0.7, 0.9],
  cost: [0.001, 0.002, 0.01, 0.02],
  available: [1, 1, 1, 0],
};

const POLICIES: ExplorationPolicy[] = [
  { policy: "greedy" },
  { policy: "epsilon-greedy", epsilon: 0.1 },
  { policy: "epsilon-greedy", epsilon: 1 },
  { policy: "softmax", temperature: 0.05 },
  { policy: "softmax", temperature: 1e-4 },
  DEFAULT_EXPLORATION,
];

describe("choice probabilities", () => {
  it.each(POLICIES)("sum to 1 over the eligible models and are 0 elsewhere: %o", (policy) => {
    const scores = [0.3, -0.2, 0.31, 5];
    const eligible = [1, 1, 1, 0];
    const p = choiceProbabilities(scores, eligible, 2, policy);
    expect(p[0]! + p[1]! + p[2]!).toBeCloseTo(1, 12);
    expect(p[3]).toBe(0);
    for (const value of p) expect(value).toBeGreaterThanOrEqual(0);
  });

  it("gives epsilon-greedy's best model 1 - epsilon + epsilon / eligible", () => {
    const p = choiceProbabilities([0.1, 0.5, 0.2], [1, 1, 1], 1, { policy: "epsilon-greedy", epsilon: 0.3 });
    expect(Array.from(p)).toEqual([0.1, 0.8, 0.1].map((x) => expect.closeTo(x, 12)));
  });

  it("weighs softmax's models by exp(score / temperature)", () => {
    const p = choiceProbabilities([0, 0.1], [1, 1], 1, { policy: "softmax", temperature: 0.1 });
    expect(p[1]! / p[0]!).toBeCloseTo(Math.E, 12);
  });
});

describe("route() with an exploration policy", () => {
  it("reports propensity 1 under greedy and the drawn model's probability otherwise", () => {
    expect(route(MODELS, PREDICTION, { lambda: 10 }).propensity).toBe(1);
    const random = seededRandom(3);
    const exploration = { policy: "epsilon-greedy", epsilon: 0.2 } as const;
    for (let i = 0; i < 50; i++) {
      const decision = route(MODELS, PREDICTION, { lambda: 10, exploration }, random);
      const greedy = route(MODELS, PREDICTION, { lambda: 10 }).index;
      expect(decision.propensity).toBeCloseTo(decision.index === greedy ? 0.8 + 0.2 / 3 : 0.2 / 3, 12);
    }
  });

  it("tries, with a fixed seed, a model that greedy never takes", () => {
    // At lambda 10 the utilities are 0.49, 0.6, 0.6 (tie to the cheaper): greedy always takes medium.
    const greedy = new Set(
      Array.from({ length: 200 }, () => route(MODELS, PREDICTION, { lambda: 10 }, seededRandom(7)).model),
    );
    expect([...greedy]).toEqual(["medium"]);
    for (const exploration of POLICIES.slice(1)) {
      if (exploration.policy === "softmax" && exploration.temperature < 0.001) continue;
      const random = seededRandom(7);
      const tried = new Set(
        Array.from(
          { length: 200 },
          () => route(MODELS, PREDICTION, { lambda: 10, exploration }, random).model,
        ),
      );
      expect(tried.has("small"), JSON.stringify(exploration)).toBe(true);
      expect(tried.has("large"), JSON.stringify(exploration)).toBe(true);
      // Never a model the router cannot predict.
      expect(tried.has("huge")).toBe(false);
    }
  });

  it("refuses a policy with unusable parameters", () => {
    const bad = { lambda: 1, exploration: { policy: "softmax", temperature: 0 } as const };
    expect(() => route(MODELS, PREDICTION, bad)).toThrow(RoutingError);
    const epsilon = { exploration: { policy: "epsilon-greedy", epsilon: 1.5 } as const };
    expect(() => route(MODELS, PREDICTION, epsilon)).toThrow(/epsilon must be a number in \[0, 1\]/);
  });
});

describe("each router kind's exploring policy", () => {
  it("is softmax 0.05 for K-means, greedy for the MLP, and K-means's for a kind without its own", () => {
    expect(explorationFor("kmeans")).toEqual({ policy: "softmax", temperature: 0.05 });
    expect(explorationFor("mlp")).toEqual({ policy: "greedy" });
    expect(explorationFor("toString")).toBe(DEFAULT_EXPLORATION);
    for (const policy of Object.values(KIND_EXPLORATION)) expect(checkExploration(policy)).toBeUndefined();
  });
});

describe("propensity weights", () => {
  it("clip inverse propensities and average 1 over the routed observations", () => {
    const propensities = [0.5, 0.01, 1, 0.25];
    const w = propensityWeights(propensities, 10);
    // Raw 1/p: 2, 100 -> clipped 10, 1, 4; mean 4.25, so each is divided by 4.25.
    expect(Array.from(w)).toEqual([2, 10, 1, 4].map((x) => expect.closeTo(x / 4.25, 6)));
    const mean = w.reduce((a, b) => a + b, 0) / w.length;
    expect(mean).toBeCloseTo(1, 6);
    expect(Math.max(...w) / Math.min(...w)).toBeLessThanOrEqual(10 + 1e-6);
  });

  it("never exceed the clip, however small the propensities", () => {
    const w = propensityWeights([1e-6, 1e-5, 1e-4], 5);
    for (const value of w) expect(value).toBeLessThanOrEqual(5);
    expect(Array.from(w)).toEqual([1, 1, 1].map(() => expect.closeTo(1, 6)));
  });

  it("weigh offline judgements (no propensity) 1 and leave the routed ones' mean at 1", () => {
    const w = propensityWeights([Number.NaN, 0.5, 0.1, Number.NaN], 10);
    expect(w[0]).toBe(1);
    expect(w[3]).toBe(1);
    expect((w[1]! + w[2]!) / 2).toBeCloseTo(1, 6);
    expect(w[2]! / w[1]!).toBeCloseTo(5, 5);
  });

  it("refuse a propensity outside (0, 1]", () => {
    expect(() => propensityWeights([0])).toThrow(/not in \(0, 1\]/);
    expect(() => propensityWeights([1.2])).toThrow(/not in \(0, 1\]/);
  });
});
