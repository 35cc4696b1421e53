// `federation create`'s defaults: a threshold that is a strict majority and at least the SDK's
// default floor where the cohort leaves room to lose a client, and survivors to match, so that the
// default cohort of 5 meets the default floors and a cohort of 3 (the protocol's least) still forms.
import { describe, expect, it } from "vitest";
import { federationConfig } from "../../../operator/federation-config.ts";

// What commander hands over when only --name and --model are given: every flag's default.
const base = {
  name: "support",
  model: ["small:0.1:0.4", "large:5:15"],
  router: "kmeans",
  embedder: "hashing",
  "cohort-size": "5",
  participation: "1",
  neighbours: "complete",
  deadline: "120",
  clip: "1000",
  schedule: "manual",
};

async function secureShape(values: Record<string, unknown>) {
  const config = await federationConfig({ ...base, ...values } as never, new Set(Object.keys(values)));
  return {
    threshold: config.secureAggregation?.threshold,
    minParticipants: config.roundPolicy?.minParticipants,
  };
}

describe("federation create's secure-aggregation defaults", () => {
  it("are t = 3 and 5 survivors for the default cohort of 5", async () => {
    expect(await secureShape({})).toEqual({
      threshold: 3,
      minParticipants: 5,
    });
  });

  it("follow the majority for larger cohorts and shrink with a cohort of 3", async () => {
    expect(await secureShape({ "cohort-size": "8" })).toEqual({
      threshold: 5,
      minParticipants: 5,
    });
    expect(await secureShape({ "cohort-size": "3" })).toEqual({
      threshold: 2,
      minParticipants: 3,
    });
  });

  it("keep what the flags say", async () => {
    expect(await secureShape({ threshold: "4", "min-participants": "6" })).toEqual({
      threshold: 4,
      minParticipants: 6,
    });
  });
});
