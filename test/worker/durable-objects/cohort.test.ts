// An owner's cohort is checked against the enrolled clients, the round policy and the platform's
// minimum cohort (which an owner holding every client token could otherwise undercut).
import { describe, expect, it } from "vitest";
import { checkCohort } from "../../../durable-objects/cohort.ts";

const clients = new Map(["a", "b", "c", "d", "e", "f", "g"].map((id) => [id, { revoked: false }]));
const policy = { minParticipants: 5, cohortSize: 7 };

describe("checkCohort", () => {
  it("refuses a cohort below the platform's minimum even when the policy allows it", () => {
    expect(checkCohort(["a", "b", "c", "d", "e"], clients, policy, { minCohort: 6 })).toEqual({
      ok: false,
      code: "invalid_cohort",
      message: "a cohort needs at least the platform's minimum of 6 clients, got 5",
    });
  });

  it("accepts a cohort at the platform's minimum, sorted", () => {
    expect(checkCohort(["f", "a", "b", "c", "d", "e"], clients, policy, { minCohort: 6 })).toEqual({
      ok: true,
      value: ["a", "b", "c", "d", "e", "f"],
    });
  });
});
