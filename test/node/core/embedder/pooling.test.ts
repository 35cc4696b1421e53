// Mean pooling over the attention mask, then unit length.
import { describe, expect, it } from "vitest";
import { l2Normalise, meanPoolNormalised } from "../../../../core/embedder/pooling.ts";

describe("mean pooling", () => {
  it("averages the kept tokens of each row only, then normalises", () => {
    // Two rows of three tokens, dimension 2; row 0 keeps tokens 0 and 1, row 1 keeps token 2.
    const states = Float32Array.of(1, 0, 3, 4, 100, 100, 9, 9, 9, 9, 0, 2);
    const [first, second] = meanPoolNormalised(states, [1, 1, 0, 0n, 0n, 1n], 2, 3, 2);
    // Row 0: mean (2, 2) → (1/√2, 1/√2); the padded (100, 100) is ignored.
    expect(first![0]).toBeCloseTo(Math.SQRT1_2, 6);
    expect(first![1]).toBeCloseTo(Math.SQRT1_2, 6);
    expect([...second!]).toEqual([0, 1]);
  });

  it("refuses states whose size does not match the mask", () => {
    expect(() => meanPoolNormalised(new Float32Array(10), [1, 1, 1], 1, 3, 2)).toThrow(RangeError);
    expect(() => meanPoolNormalised(new Float32Array(6), [1, 1], 1, 3, 2)).toThrow(RangeError);
  });
});

describe("L2 normalisation", () => {
  it("scales to unit length and leaves the zero vector alone", () => {
    expect([...l2Normalise(Float32Array.of(3, 4))].map((v) => Number(v.toFixed(6)))).toEqual([0.6, 0.8]);
    expect([...l2Normalise(new Float32Array(3))]).toEqual([0, 0, 0]);
  });
});
