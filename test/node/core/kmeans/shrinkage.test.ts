// Empirical-Bayes shrinkage on hand-made cells whose method-of-moments estimates are worked out in
// the comments (one-way random-effects ANOVA).
import { describe, expect, it } from "vitest";
import { priorStrength, shrunkMean } from "../../../../core/kmeans/shrinkage.ts";

describe("the prior strength estimated from counts, sums and sums of squares", () => {
  it("weighs the cells' noise against how much their means differ", () => {
    // Cells {0, 2}, {2, 4}, {4, 6}: within-cell variance (2 + 2 + 2) / (6 - 3) = 2; between-cell
    // sum of squares 2 + 18 + 50 - 18^2 / 6 = 16, so tau^2 = (16 - 2 * 2) / (6 - 12 / 6) = 3.
    const cells = { count: [2, 2, 2], sum: [2, 6, 10], squares: [4, 20, 52] };
    expect(priorStrength(cells)).toBeCloseTo(2 / 3, 12);
    // Cell {0, 2} (mean 1) with 2/3 pseudo-observations of the overall mean 3.
    expect(shrunkMean(2, 2, 3, 2 / 3)).toBeCloseTo(1.5, 12);
  });

  it("measures the spread within each group when cells are grouped (the tag within which a cluster lies)", () => {
    // Group 0: {0, 2}, {2, 4} (means 1, 3); group 1: {10, 12}, {12, 14} (means 11, 13). The groups'
    // own difference does not count: between = 600 - 16 - 576 = 8, noise 8 / 4 = 2,
    // tau^2 = (8 - (4 - 2) * 2) / (8 - 2 - 2) = 1.
    const cells = { count: [2, 2, 2, 2], sum: [2, 6, 22, 26], squares: [4, 20, 244, 340] };
    expect(priorStrength(cells, [0, 0, 1, 1])).toBeCloseTo(2, 12);
    // Ungrouped, the large difference between the groups makes the cells trustworthy.
    expect(priorStrength(cells)).toBeLessThan(0.1);
  });

  it("pulls every cell to its target when the means differ no more than noise explains", () => {
    const cells = { count: [2, 2], sum: [2, 2], squares: [4, 4] };
    const strength = priorStrength(cells);
    expect(strength).toBe(Number.POSITIVE_INFINITY);
    expect(shrunkMean(2, 2, 0.7, strength)).toBe(0.7);
  });

  it("keeps raw means when nothing replicates or the cells carry no noise", () => {
    expect(priorStrength({ count: [1, 1, 1], sum: [0, 1, 0], squares: [0, 1, 0] })).toBe(0);
    expect(priorStrength({ count: [2, 2], sum: [0, 2], squares: [0, 2] })).toBe(0);
    expect(shrunkMean(2, 2, 0.5, 0)).toBe(1);
  });

  it("gives an empty cell its target", () => {
    expect(shrunkMean(0, 0, 0.4, 3)).toBe(0.4);
  });
});
