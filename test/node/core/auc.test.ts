import { describe, expect, it } from "vitest";
import { accuracyCostCurve, lambdaGrid, normalisedAuc } from "../../../core/auc.ts";

describe("normalised AUC", () => {
  it("matches a hand-computed trapezoid over the cost range", () => {
    // Points (cost, quality): (1, 0.5), (2, 0.7), (4, 0.9), given out of order.
    // Area = 1 * (0.5 + 0.7) / 2 + 2 * (0.7 + 0.9) / 2 = 0.6 + 1.6 = 2.2; range 3; AUC = 0.7333...
    const auc = normalisedAuc([
      { cost: 4, quality: 0.9 },
      { cost: 1, quality: 0.5 },
      { cost: 2, quality: 0.7 },
    ]);
    expect(auc).toBeCloseTo(2.2 / 3, 12);
  });

  it("is the mean quality of a curve with a single cost", () => {
    expect(
      normalisedAuc([
        { cost: 2, quality: 0.4 },
        { cost: 2, quality: 0.6 },
      ]),
    ).toBeCloseTo(0.5, 12);
  });

  it("sweeps 100 log-spaced lambdas from 1e-2 to 1e7", () => {
    const grid = lambdaGrid();
    expect(grid.length).toBe(100);
    expect(grid[0]).toBeCloseTo(1e-2, 12);
    expect(grid[99]).toBeCloseTo(1e7, 0);
    expect(grid[1]! / grid[0]!).toBeCloseTo(grid[99]! / grid[98]!, 9);
  });

  it("scores each lambda's choices with the true labels", () => {
    // Two queries, two models: model 0 is good and dear, model 1 cheap and good only on query 1.
    const trueQuality = Float64Array.from([1, 0, 1, 1]);
    const trueCost = Float64Array.from([0.01, 0.001, 0.01, 0.001]);
    const curve = accuracyCostCurve(
      trueQuality,
      trueCost,
      null,
      trueQuality,
      trueCost,
      2,
      Float64Array.from([0, 1e6]),
    );
    // lambda 0: best quality, cheaper on ties: query 0 -> model 0, query 1 -> model 1.
    expect(curve[0]).toMatchObject({ quality: 1, cost: (0.01 + 0.001) / 2 });
    // lambda 1e6: cheapest everywhere.
    expect(curve[1]).toMatchObject({ quality: 0.5, cost: 0.001 });
  });
});
