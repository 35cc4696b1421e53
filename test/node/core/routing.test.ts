import { describe, expect, it } from "vitest";
import { chooseByLambda, RoutingError, route } from "../../../core/routing.ts";

const models = ["cheap", "mid", "dear"];
const prediction = { quality: [0.5, 0.7, 0.9], cost: [0.001, 0.01, 0.1] };

describe("the routing rule", () => {
  it("maximises quality - lambda * cost", () => {
    expect(route(models, prediction, { lambda: 0 }).model).toBe("dear");
    // lambda 5: 0.5 - 0.005 = 0.495, 0.7 - 0.05 = 0.65, 0.9 - 0.5 = 0.4 -> mid
    expect(route(models, prediction, { lambda: 5 }).model).toBe("mid");
    expect(route(models, prediction, { lambda: 1000 }).model).toBe("cheap");
  });

  it("in budget form picks the best quality whose predicted cost is under the cap", () => {
    expect(route(models, prediction, { maxCost: 0.05 }).model).toBe("mid");
    expect(route(models, prediction, { maxCost: 0.001 }).model).toBe("cheap");
    expect(() => route(models, prediction, { maxCost: 0.0001 })).toThrow(RoutingError);
  });

  it("honours allow and deny lists and returns every model's prediction", () => {
    const decision = route(models, prediction, { lambda: 0, deny: ["dear"] });
    expect(decision.model).toBe("mid");
    expect(decision.candidates).toEqual([
      { model: "cheap", quality: 0.5, cost: 0.001, eligible: true },
      { model: "mid", quality: 0.7, cost: 0.01, eligible: true },
      { model: "dear", quality: 0.9, cost: 0.1, eligible: false },
    ]);
    expect(route(models, prediction, { allow: ["cheap", "dear"], lambda: 5 }).model).toBe("cheap");
  });

  it("never chooses an unavailable model", () => {
    expect(route(models, { ...prediction, available: [1, 1, 0] }).model).toBe("mid");
  });

  it("rejects bad options with a typed error", () => {
    expect(() => route(models, prediction, { lambda: -1 })).toThrow(/lambda/);
    expect(() => route(models, prediction, { lambda: 1, maxCost: 1 })).toThrow(/either/);
    expect(() => route(models, prediction, { allow: ["nope"] })).toThrow(/unknown model "nope"/);
  });

  it("chooses the same models in its vectorised form", () => {
    const quality = Float64Array.from([...prediction.quality, 0.9, 0.1, 0.2]);
    const cost = Float64Array.from([...prediction.cost, 0.001, 0.01, 0.1]);
    const choice = chooseByLambda(quality, cost, null, 3, 5, new Int32Array(2));
    expect(Array.from(choice)).toEqual([1, 0]);
  });
});
