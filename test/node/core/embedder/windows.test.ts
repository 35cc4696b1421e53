// Cutting a text's tokens into windows and combining the windows' vectors.
import { describe, expect, it } from "vitest";
import { combineWindows, tokenWindows, windowWeights } from "../../../../core/embedder/windows.ts";

describe("token windows", () => {
  it("cover every token once, in order, the last window holding the remainder", () => {
    expect(tokenWindows(10, 4)).toEqual([
      { start: 0, end: 4 },
      { start: 4, end: 8 },
      { start: 8, end: 10 },
    ]);
    expect(tokenWindows(8, 4)).toHaveLength(2);
  });

  it("give an empty text one empty window", () => {
    expect(tokenWindows(0, 4)).toEqual([{ start: 0, end: 0 }]);
  });

  it("refuse a window with no room for a token", () => {
    expect(() => tokenWindows(5, 0)).toThrow(RangeError);
  });
});

describe("combining windows", () => {
  const a = Float32Array.of(1, 0);
  const b = Float32Array.of(0, 1);
  const c = Float32Array.of(0.6, 0.8);

  it("weighs windows equally, the last alone, or by position for last-weighted", () => {
    expect([...windowWeights(3, "mean")]).toEqual([1, 1, 1]);
    expect([...windowWeights(3, "last")]).toEqual([0, 0, 1]);
    expect([...windowWeights(3, "last-weighted")]).toEqual([1, 2, 3]);
  });

  it("returns the unit-length weighted sum", () => {
    // mean of a and b: (0.5, 0.5), normalised.
    const mean = combineWindows([a, b], "mean");
    expect(mean[0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(mean[1]).toBeCloseTo(Math.SQRT1_2, 6);
    // 1·a + 2·b + 3·c = (2.8, 4.4), normalised.
    const weighted = combineWindows([a, b, c], "last-weighted");
    const norm = Math.hypot(2.8, 4.4);
    expect(weighted[0]).toBeCloseTo(2.8 / norm, 6);
    expect(weighted[1]).toBeCloseTo(4.4 / norm, 6);
    expect([...combineWindows([a, b, c], "last")]).toEqual([...c]);
  });

  it("leaves a single window's vector as it is, at unit length, without changing the input", () => {
    const v = Float32Array.of(3, 4);
    const combined = combineWindows([v], "last-weighted");
    expect(combined[0]).toBeCloseTo(0.6, 6);
    expect(combined[1]).toBeCloseTo(0.8, 6);
    expect([...v]).toEqual([3, 4]);
  });
});
