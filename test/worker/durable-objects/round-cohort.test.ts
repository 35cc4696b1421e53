// An owner may name a round's cohort (the main job follows a seeded schedule this way): the edge
// opens the round with exactly those clients, and refuses cohorts it cannot run with invalid_cohort.
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../core/random.ts";
import { seededClientSets } from "../../support/evaluation-sets.ts";
import { meanAlgorithm, meanKind } from "../../support/mean-kind.ts";
import { call, createFederation, createTenant, expectStatus, type FederationHandle } from "../support/api.ts";
import { evaluationShape, kindSetup } from "../support/federation-config.ts";
import { latestModel, plainSum } from "../support/rounds.ts";
import { SimClient } from "../support/sim-client.ts";

function openRound(handle: FederationHandle, body?: unknown) {
  return call("POST", `/v1/federations/${handle.federationId}/rounds`, {
    token: handle.ownerToken,
    ...(body === undefined ? {} : { json: body }),
  });
}

/**
 * A policy with room to tell the bounds apart: 5 (the platform's minimum) to 6 members per round,
 * 8 enrolled; t = 4 is the majority of a complete round of 6.
 */
async function federation(): Promise<FederationHandle> {
  const tenant = await createTenant();
  return createFederation(tenant, 8, {
    roundPolicy: {
      cohortSize: 6,
      minParticipants: 5,
      participationFraction: 1,
      deadlines: { advertiseKeys: 60, shareKeys: 60, maskedInput: 60, unmask: 60 },
    },
    secureAggregation: { threshold: 4, neighbourDegree: "complete", curve: "X25519" },
  });
}

describe("an owner-chosen cohort", () => {
  it("opens the round with exactly the named clients and publishes the sum of their inputs", async () => {
    const handle = await federation();
    const chosen = [5, 1, 3, 7, 6].map((i) => handle.clients[i]!);
    const opened = await openRound(handle, { cohort: chosen.map((c) => c.clientId) });
    expect(opened.status).toBe(201);
    expect(opened.body.cohort).toEqual(chosen.map((c) => c.clientId).sort());
    expect(opened.body.secureAggregation.maxClients).toBe(5);

    // A client left out cannot read the round's messages.
    const outsider = await call(
      "GET",
      `/v1/federations/${handle.federationId}/rounds/${opened.body.round}/message`,
      { token: handle.clients[0]!.token },
    );
    expect(outsider.status).toBe(403);

    const global = meanKind.initialState(kindSetup());
    const random = seededRandom(3);
    const sets = seededClientSets(
      chosen.map((c) => c.clientId),
      random,
      evaluationShape(3),
    );
    const clients = chosen.map((c) => new SimClient(handle.federationId, opened.body.round, c));
    for (const c of clients) expect((await c.advertise(opened.body.secureAggregation)).status).toBe(200);
    for (const c of clients) expect((await c.shareKeys()).status).toBe(200);
    for (const [i, c] of clients.entries()) {
      const contribution = meanAlgorithm.contribute(global, sets.get(c.clientId)!, random) as Float64Array;
      expect((await c.maskedInput(contribution, 100 + i)).status).toBe(200);
    }
    for (const c of clients) expect((await c.consistencyCheck()).status).toBe(200);
    for (const c of clients) expect((await c.unmask()).status).toBe(200);

    const summary = await expectStatus(
      200,
      "GET",
      `/v1/federations/${handle.federationId}/rounds/${opened.body.round}`,
      { token: handle.ownerToken },
    );
    expect(summary.outcome).toEqual({ kind: "published", version: 1 });
    const expected = meanAlgorithm.finalise(global, plainSum(clients, opened.body.secureAggregation.scale));
    const { file } = await latestModel(handle);
    expect(meanAlgorithm.fromModelFile(file)).toEqual(expected);
  });

  it("refuses repeated, unknown, revoked, too few and too many clients, and opens nothing", async () => {
    const handle = await federation();
    const ids = handle.clients.map((c) => c.clientId);
    const revoked = ids[4]!;
    await expectStatus(200, "DELETE", `/v1/federations/${handle.federationId}/clients/${revoked}`, {
      token: handle.ownerToken,
    });
    const stranger = "cli_00000000000000ff";
    const cases: [string, string[], RegExp][] = [
      ["repeated", [ids[0]!, ids[1]!, ids[2]!, ids[3]!, ids[0]!], /listed twice/],
      ["unknown", [ids[0]!, ids[1]!, ids[2]!, ids[3]!, stranger], /not enrolled/],
      ["revoked", [ids[0]!, ids[1]!, ids[2]!, ids[3]!, revoked], /revoked/],
      ["too few", [ids[0]!, ids[1]!, ids[2]!, ids[3]!], /at least minParticipants = 5/],
      ["too many", [0, 1, 2, 3, 5, 6, 7].map((i) => ids[i]!), /at most cohortSize = 6/],
    ];
    for (const [name, cohort, message] of cases) {
      const reply = await openRound(handle, { cohort });
      expect({ name, status: reply.status, code: reply.body.error?.code }).toEqual({
        name,
        status: 422,
        code: "invalid_cohort",
      });
      expect(reply.body.error.message).toMatch(message);
    }
    // Malformed ids and an empty list fail the schema.
    for (const cohort of [["not-a-client-id", ids[0], ids[1]], [], "cli_00"]) {
      const reply = await openRound(handle, { cohort });
      expect(reply.status).toBe(400);
      expect(reply.body.error.code).toBe("invalid_request");
    }
    const current = await call("GET", `/v1/federations/${handle.federationId}/rounds/current`, {
      token: handle.ownerToken,
    });
    expect(current.status).toBe(404);

    // Without a body the edge samples as before: cohortSize of the 7 active clients.
    const sampled = await openRound(handle);
    expect(sampled.status).toBe(201);
    expect(sampled.body.round).toBe(1);
    expect(sampled.body.cohort).toHaveLength(6);
    expect(sampled.body.cohort).not.toContain(revoked);
  });
});
