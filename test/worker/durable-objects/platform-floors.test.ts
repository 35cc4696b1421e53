// The platform's floors come from the operator's worker variables alone, with safe defaults.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { platformFloors } from "../../../durable-objects/platform-floors.ts";

describe("platform floors", () => {
  it("are 5 clients and 5 survivors in the worker's wrangler.toml, with the SDK's minimum threshold", () => {
    expect(platformFloors(env)).toEqual({ minThreshold: 3, minCohort: 5, minSurvivors: 5 });
  });

  it("take the operator's values, and fall back to the defaults when unset or out of range", () => {
    expect(platformFloors({ SECAGG_MIN_COHORT: "8", SECAGG_MIN_SURVIVORS: "6" })).toMatchObject({
      minCohort: 8,
      minSurvivors: 6,
    });
    expect(platformFloors({})).toMatchObject({ minCohort: 5, minSurvivors: 5 });
    // A typo or a value a sum of two would reach must not lower the floors.
    for (const value of ["", "2", "1", "0", "-5", "4.5", "five", "1001"])
      expect(platformFloors({ SECAGG_MIN_COHORT: value, SECAGG_MIN_SURVIVORS: value })).toMatchObject({
        minCohort: 5,
        minSurvivors: 5,
      });
    expect(platformFloors({ SECAGG_MIN_COHORT: "3" }).minCohort).toBe(3);
  });
});
