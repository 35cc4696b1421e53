// A client's parameter delta clipped to an L2 norm before it is weighted and summed.
import { describe, expect, it } from "vitest";
import { clipDelta } from "../../../../core/mlp/delta-clip.ts";

describe("clipping a client's delta", () => {
  it("scales a delta longer than the clip down to the clip's length, keeping its direction", () => {
    const delta = clipDelta(Float64Array.from([3, -4, 0]), 1);
    expect(Array.from(delta)).toEqual([0.6000000000000001, -0.8, 0]);
    expect(Math.hypot(...delta)).toBeCloseTo(1, 12);
  });

  it("keeps a delta within the clip to the bit", () => {
    const values = [0.1, -0.2, 0.30000000000000004];
    expect(Array.from(clipDelta(Float64Array.from(values), 1))).toEqual(values);
    expect(Array.from(clipDelta(Float64Array.from([3, 4]), 5))).toEqual([3, 4]);
  });
});
