import { describe, expect, it } from "vitest";
import {
  DEFAULT_FLOORS,
  majorityThreshold,
  maxNeighbourDegree,
  shardParameters,
  shardSizes,
  smallestShard,
  splitCohort,
} from "../../../../core/secagg/index.ts";

describe("shard sizes", () => {
  const smallest = smallestShard(DEFAULT_FLOORS);

  it("keeps a cohort up to the shard size whole, and splits a larger one evenly", () => {
    expect(smallest).toBe(5);
    expect(shardSizes(256, 256, smallest)).toEqual([256]);
    expect(shardSizes(1000, 256, smallest)).toEqual([250, 250, 250, 250]);
    expect(shardSizes(257, 256, smallest)).toEqual([129, 128]);
    expect(shardSizes(12, 6, smallest)).toEqual([6, 6]);
    expect(shardSizes(17, 6, smallest)).toEqual([6, 6, 5]);
  });

  it("never makes a shard smaller than the floors allow", () => {
    // 7 clients at 6 would make shards of 4 and 3: one round of 7 instead.
    expect(shardSizes(7, 6, smallest)).toEqual([7]);
    // 14 at 5 would make 3 shards of 4 or 5: two of 7.
    expect(shardSizes(14, 5, smallest)).toEqual([7, 7]);
    for (let n = 5; n <= 300; n++)
      for (const size of [5, 6, 10, 64])
        for (const shard of shardSizes(n, size, smallest)) expect(shard).toBeGreaterThanOrEqual(smallest);
  });

  it("splits a cohort into consecutive shards of those sizes", () => {
    expect(splitCohort(["a", "b", "c", "d", "e"], [3, 2])).toEqual([
      ["a", "b", "c"],
      ["d", "e"],
    ]);
  });
});

describe("shard parameters", () => {
  it("choose k of order log2 n and a strict-majority t for the shard's size", () => {
    const chosen = shardParameters(250, DEFAULT_FLOORS);
    expect(chosen.ok).toBe(true);
    if (!chosen.ok) return;
    const { neighbourDegree, threshold } = chosen.value;
    expect(typeof neighbourDegree).toBe("number");
    expect(neighbourDegree as number).toBeLessThanOrEqual(maxNeighbourDegree(250));
    expect(threshold).toBeGreaterThanOrEqual(majorityThreshold(neighbourDegree as number));
  });

  it("use the complete graph for a small shard, with t at least the floors' minimum", () => {
    expect(shardParameters(5, DEFAULT_FLOORS)).toEqual({
      ok: true,
      value: { neighbourDegree: "complete", threshold: 3 },
    });
    expect(shardParameters(6, DEFAULT_FLOORS)).toEqual({
      ok: true,
      value: { neighbourDegree: "complete", threshold: 4 },
    });
    expect(shardParameters(6, { ...DEFAULT_FLOORS, minThreshold: 5 })).toEqual({
      ok: true,
      value: { neighbourDegree: "complete", threshold: 5 },
    });
    expect(shardParameters(5, { ...DEFAULT_FLOORS, minThreshold: 5 }).ok).toBe(false);
  });
});
