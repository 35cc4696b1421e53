// The privacy floors: the strict majority threshold (the client counted in its neighbourhood) and
// the minimum threshold and cohort that a round's shape must reach.
import { describe, expect, it } from "vitest";
import {
  DEFAULT_FLOORS,
  majorityShortfall,
  majorityThreshold,
  roundBelowFloors,
} from "../../../../core/secagg/index.ts";

describe("majority threshold", () => {
  it("is the smallest t above half of the client and its k neighbours", () => {
    // k = 4: 5 clients, t = 3. k = 5 (complete graph of 6): 6 clients, t = 4. k = 6: 7 clients, t = 4.
    expect([2, 3, 4, 5, 6, 9, 46].map(majorityThreshold)).toEqual([2, 3, 3, 4, 4, 6, 24]);
    for (let k = 2; k <= 60; k++) {
      const t = majorityThreshold(k);
      expect(2 * t).toBeGreaterThan(k + 1);
      expect(2 * (t - 1)).toBeLessThanOrEqual(k + 1);
      // So two disjoint groups of t neighbours never fit among the k.
      expect(2 * t).toBeGreaterThan(k);
    }
  });

  it("judges a round on its largest neighbourhood: k, or all other clients once k reaches them", () => {
    expect(majorityShortfall(4, 6, 10)).toBeUndefined();
    expect(majorityShortfall(3, 6, 10)).toMatch(/not a strict majority of a neighbourhood of 7 clients/);
    expect(majorityShortfall(3, "complete", 6)).toMatch(/neighbourhood of 6 clients.*at least 4/);
    expect(majorityShortfall(3, 8, 5)).toBeUndefined();
  });
});

describe("round floors", () => {
  it("refuses, in turn, a threshold below a majority, below the minimum threshold, and a small cohort", () => {
    expect(roundBelowFloors({ threshold: 1, neighbourDegree: 6, clients: 10 }, DEFAULT_FLOORS)).toMatch(
      /not a strict majority/,
    );
    expect(roundBelowFloors({ threshold: 2, neighbourDegree: 2, clients: 10 }, DEFAULT_FLOORS)).toBe(
      "threshold 2 is below the minimum threshold 3",
    );
    expect(roundBelowFloors({ threshold: 3, neighbourDegree: "complete", clients: 4 }, DEFAULT_FLOORS)).toBe(
      "a round of 4 clients is below the minimum cohort of 5",
    );
    expect(
      roundBelowFloors({ threshold: 3, neighbourDegree: "complete", clients: 5 }, DEFAULT_FLOORS),
    ).toBeUndefined();
  });

  it("defaults to a threshold of 3, cohorts of 5 and 5 survivors", () => {
    expect(DEFAULT_FLOORS).toEqual({ minThreshold: 3, minCohort: 5, minSurvivors: 5 });
    expect(Object.isFrozen(DEFAULT_FLOORS)).toBe(true);
  });
});
