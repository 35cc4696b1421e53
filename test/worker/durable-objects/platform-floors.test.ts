// The platform's floors come from the operator's worker variables alone, with safe defaults.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { platformFloors } from "../../../durable-objects/platform-floors.ts";

describe("platform floors", () => {
  it("are 5 clients, 5 survivors and a threshold of 3 in the worker's wrangler.toml, the SDK's defaults", () => {
    expect(platformFloors(env)).toEqual({ minThreshold: 3, minCohort: 5, minSurvivors: 5 });
  });

  it("take the operator's values, and fall back to the defaults when unset or out of range", () => {
    expect(platformFloors({ SECAGG_MIN_COHORT: "8", SECAGG_MIN_SURVIVORS: "6" })).toMatchObject({
      minCohort: 8,
      minSurvivors: 6,
    });
    expect(platformFloors({})).toEqual({ minThreshold: 3, minCohort: 5, minSurvivors: 5 });
    // A typo or a value a sum of two (or a threshold of one) would reach must not lower the floors.
    for (const value of ["", "2", "1", "0", "-5", "4.5", "five", "1001"])
      expect(platformFloors({ SECAGG_MIN_COHORT: value, SECAGG_MIN_SURVIVORS: value })).toMatchObject({
        minCohort: 5,
        minSurvivors: 5,
      });
    for (const value of ["", "1", "0", "2.5", "two", "1001"])
      expect(platformFloors({ SECAGG_MIN_THRESHOLD: value }).minThreshold).toBe(3);
    // The protocol's minimum: three clients, all surviving, with a majority threshold of 2.
    expect(
      platformFloors({ SECAGG_MIN_COHORT: "3", SECAGG_MIN_SURVIVORS: "3", SECAGG_MIN_THRESHOLD: "2" }),
    ).toEqual({ minThreshold: 2, minCohort: 3, minSurvivors: 3 });
  });
});
