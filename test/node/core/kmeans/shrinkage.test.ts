// Empirical-Bayes shrinkage on a hand-made table whose method-of-moments estimate is worked out in
// the comments.
import { describe, expect, it } from "vitest";
import { type CellTable, shrinkTable, shrunkMean } from "../../../../core/kmeans/shrinkage.ts";

/** Two rows (clusters) by two models, two observations per cell, half a unit either side of its mean. */
function table(means: number[]): CellTable {
  return {
    rows: 2,
    models: 2,
    count: Float64Array.of(2, 2, 2, 2),
    sum: Float64Array.from(means, (mean) => 2 * mean),
    squares: Float64Array.from(means, (mean) => (mean - 0.5) ** 2 + (mean + 0.5) ** 2),
  };
}

describe("empirical-Bayes shrinkage of a table of cells", () => {
  // Cell means: row 0 [2, 5], row 1 [8, 9]; the model means 5 and 7 are the parent.
  const cells = table([2, 5, 8, 9]);
  const parent = Float64Array.of(5, 7, 5, 7);

  it("shrinks the (row, model) interaction toward the parent plus the row's effect", () => {
    // Row effects: row 0 ((4 - 10) + (10 - 14)) / 4 = -2.5, row 1 +2.5; targets [2.5, 4.5, 7.5, 9.5].
    // Per model: noise 2 * 0.25 / (4 - 2) = 0.5; deviation 2 * 0.5^2 * 2 = 1; the additive target
    // fitted 3 of 4 cells' freedom, so tau^2 = (1 - 1/4 * 2 * 0.5) / 4 = 0.1875 and the pseudo-count
    // 0.5 / 0.1875 = 8/3.
    const shrunk = shrinkTable(cells, parent);
    expect(Array.from(shrunk.strength)).toEqual([expect.closeTo(8 / 3, 12), expect.closeTo(8 / 3, 12)]);
    // Row 0, model 0: (4 + 8/3 * 2.5) / (2 + 8/3) = 16/7.
    expect(shrunk.mean[0]).toBeCloseTo(16 / 7, 12);
    expect(shrunk.mean[3]).toBeCloseTo((18 + (8 / 3) * 9.5) / (2 + 8 / 3), 12);
  });

  it("takes the additive target where the cells show no interaction beyond noise", () => {
    // Row 0 [2, 3], row 1 [8, 9]: the rows differ, the models within them the same way.
    const shrunk = shrinkTable(table([2, 3, 8, 9]), Float64Array.of(5, 6, 5, 6));
    expect(Array.from(shrunk.strength)).toEqual([Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY]);
    expect(Array.from(shrunk.mean)).toEqual([2, 3, 8, 9]);
  });

  it("uses a fixed pseudo-count toward the parent itself when given one", () => {
    const shrunk = shrinkTable(cells, parent, 2);
    // Row 0, model 0: (4 + 2 * 5) / (2 + 2).
    expect(shrunk.mean[0]).toBe(3.5);
    expect(Array.from(shrunk.strength)).toEqual([2, 2]);
  });

  it("gives an empty cell its target and keeps raw means at strength 0", () => {
    expect(shrunkMean(0, 0, 0.4, 3)).toBe(0.4);
    expect(shrunkMean(2, 2, 0.5, 0)).toBe(1);
    expect(shrunkMean(2, 2, 0.5, Number.POSITIVE_INFINITY)).toBe(0.5);
  });
});
