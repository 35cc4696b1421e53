// The owner API's batch enrolment (what the demo enrols its organisations with), against the real
// edge: one request, the enrolments in the labels' order, each client with a working token of its own.
import { describe, expect, it } from "vitest";
import { createClient } from "../../../client-sdk/src/index.ts";
import { enrolClients, listClients } from "../../../operator/owner-api.ts";
import { federationOnEdge, SMALL_KMEANS } from "./support/edge.ts";
import { fixture } from "./support/fixture.ts";

describe("enrolClients", () => {
  it("enrols a batch in order, each with its own working token", async () => {
    const federation = await federationOnEdge(fixture(), { ...SMALL_KMEANS, clients: 5 });
    const owner = { edgeUrl: federation.owner.origin, token: federation.ownerToken };
    const labels = ["organisation a", undefined, "organisation c"];
    const enrolments = await enrolClients(owner, federation.federationId, labels);
    expect(enrolments.map((e) => e.client.label)).toEqual(["organisation a", null, "organisation c"]);
    expect(new Set(enrolments.map((e) => e.token)).size).toBe(3);
    const listed = await listClients(owner, federation.federationId);
    expect(listed.map((c) => c.id)).toEqual(expect.arrayContaining(enrolments.map((e) => e.client.id)));
    const client = createClient({
      edgeUrl: owner.edgeUrl,
      federationId: federation.federationId,
      token: enrolments[2]!.token,
      modelPublicKey: enrolments[2]!.modelPublicKey,
    });
    expect((await client.sync()).version).toBe(0);
  });
});
