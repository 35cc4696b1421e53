import { describe, expect, it } from "vitest";
import { combineWindows, tokenWindows, windowWeight } from "../../../../core/embedder/windows.ts";

describe("tokenWindows", () => {
  it("keeps a short text whole", () => {
    expect(tokenWindows([1, 2, 3], 4)).toEqual([[1, 2, 3]]);
  });

  it("steps from the start and ends with the last full window, overlapping where it must", () => {
    expect(tokenWindows([1, 2, 3, 4, 5, 6, 7], 3)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
      [5, 6, 7],
    ]);
    expect(tokenWindows([1, 2, 3, 4, 5, 6], 3)).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });
});

describe("combineWindows", () => {
  const windows = [Float32Array.of(1, 0), Float32Array.of(0, 1), Float32Array.of(0, 1)];

  it("means all windows, then normalises", () => {
    const v = combineWindows(windows, "mean");
    // (1/3, 2/3) normalised.
    expect([...v].map((x) => Number(x.toFixed(6)))).toEqual([0.447214, 0.894427]);
  });

  it("takes the last window alone", () => {
    expect([...combineWindows([Float32Array.of(3, 4), Float32Array.of(0, 2)], "last")]).toEqual([0, 1]);
  });

  it("gives the last window half the weight under last-weighted", () => {
    const v = combineWindows(
      [Float32Array.of(1, 0), Float32Array.of(1, 0), Float32Array.of(0, 1)],
      "last-weighted",
    );
    expect(v[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(v[1]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(windowWeight("last-weighted", 0, 3) + windowWeight("last-weighted", 1, 3)).toBeCloseTo(0.5, 12);
  });

  it("refuses windows of different dimensions", () => {
    expect(() => combineWindows([Float32Array.of(1), Float32Array.of(1, 2)], "mean")).toThrow(RangeError);
  });
});
