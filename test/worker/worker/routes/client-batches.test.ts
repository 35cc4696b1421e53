// Enrolment in batches: one request enrols many clients, each with a working token of its own; the
// batch is bounded and only the owner may send it.
import { describe, expect, it } from "vitest";
import { call, createFederation, createTenant, expectStatus } from "../../support/api.ts";

describe("POST /federations/{id}/clients/batch", () => {
  it("enrols every client in the batch, in order, each with its own token", async () => {
    const handle = await createFederation(await createTenant(), 0);
    const { enrolments } = await expectStatus(
      201,
      "POST",
      `/v1/federations/${handle.federationId}/clients/batch`,
      { token: handle.ownerToken, json: { clients: [{ label: "a" }, { label: "b" }, {}] } },
    );
    expect(enrolments.map((e: { client: { label: string | null } }) => e.client.label)).toEqual([
      "a",
      "b",
      null,
    ]);
    expect(new Set(enrolments.map((e: { token: string }) => e.token)).size).toBe(3);
    for (const { token } of enrolments)
      expect((await call("GET", `/v1/federations/${handle.federationId}`, { token })).status).toBe(200);
    const listed = await expectStatus(200, "GET", `/v1/federations/${handle.federationId}/clients`, {
      token: handle.ownerToken,
    });
    expect(listed).toHaveLength(3);
  });

  it("refuses an empty or oversized batch, and a client's token", async () => {
    const handle = await createFederation(await createTenant(), 1);
    const path = `/v1/federations/${handle.federationId}/clients/batch`;
    const empty = await call("POST", path, { token: handle.ownerToken, json: { clients: [] } });
    expect(empty.status).toBe(400);
    expect(empty.body.error.code).toBe("invalid_request");
    const tooMany = Array.from({ length: 1001 }, () => ({}));
    expect((await call("POST", path, { token: handle.ownerToken, json: { clients: tooMany } })).status).toBe(
      400,
    );
    const asClient = await call("POST", path, { token: handle.clients[0]!.token, json: { clients: [{}] } });
    expect(asClient.status).toBe(403);
  });
});
