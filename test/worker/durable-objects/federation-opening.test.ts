// A federation's neighbour graph must stay sparse for its largest cohort: SecAgg+ needs about
// log2 n neighbours, and a complete graph over 1000 clients would seal about 150 MB of shares.
import { describe, expect, it } from "vitest";
import { maxNeighbourDegree } from "../../../core/secagg/index.ts";
import { call, createTenant, federationConfig } from "../support/api.ts";

const policy = federationConfig().roundPolicy;

function thousandClients(neighbourDegree: number | "complete", threshold: number) {
  return federationConfig({
    roundPolicy: { ...policy, cohortSize: 1000, minParticipants: 600 },
    secureAggregation: { threshold, neighbourDegree, curve: "X25519" },
  });
}

describe("the neighbour graph of a federation's rounds", () => {
  it("refuses at create more neighbours than its largest cohort needs, naming the bound", async () => {
    const { ownerToken: token } = await createTenant();
    const bound = maxNeighbourDegree(1000);
    expect(bound).toBe(80);
    for (const [degree, threshold] of [
      ["complete", 501],
      [bound + 2, 42],
    ] as const) {
      const reply = await call("POST", "/v1/federations", {
        token,
        json: thousandClients(degree, threshold),
      });
      expect(reply.status).toBe(422);
      expect(reply.body.error.code).toBe("invalid_config");
      expect(reply.body.error.message).toContain(`at most ${bound} for that cohort size`);
    }
    const sparse = await call("POST", "/v1/federations", { token, json: thousandClients(bound, 41) });
    expect(sparse.status).toBe(201);
    // A small cohort keeps the complete graph.
    const small = await call("POST", "/v1/federations", {
      token,
      json: federationConfig({
        roundPolicy: { ...policy, minParticipants: 7 },
        secureAggregation: { threshold: 7, neighbourDegree: "complete", curve: "X25519" },
      }),
    });
    expect(small.status).toBe(201);
  });
});
