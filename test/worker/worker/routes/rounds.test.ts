// The round routes: the owner's way out of a round (POST /v1/federations/{id}/rounds/current/abort
// stops the round in progress, refunds its quota reservation, publishes nothing and frees the
// federation), and the masked-input route's refusal of a vector larger than any round can aggregate,
// judged from its length before reading it (beyond that bound it could not cross one RPC to the
// Round object).
import { describe, expect, it } from "vitest";
import { MAX_MASKED_INPUT_BYTES } from "../../../../core/wire/limits.ts";
import {
  call,
  createFederation,
  createTenant,
  expectStatus,
  type FederationHandle,
} from "../../support/api.ts";
import { patchEnv, withMethods } from "../../support/faults.ts";
import { cohortClients, roundStub, roundSummary, startRound } from "../../support/rounds.ts";

const abortPath = (handle: FederationHandle) => `/v1/federations/${handle.federationId}/rounds/current/abort`;

const tenantUpdates = async (handle: FederationHandle) =>
  (await expectStatus(200, "GET", "/v1/tenant", { token: handle.ownerToken })).updatesToday;

/** Opens a round and has every cohort client advertise its keys, so the round is mid-protocol. */
async function roundAtShareKeys(handle: FederationHandle) {
  const opened = await startRound(handle);
  const clients = cohortClients(handle, opened);
  for (const client of clients) expect((await client.advertise(opened.secureAggregation)).status).toBe(200);
  expect((await roundSummary(handle, opened.round)).stage).toBe("share_keys");
  return { opened, clients };
}

describe("aborting the current round", () => {
  it("aborts the round in progress for its owner, refunds its reservation and publishes nothing", async () => {
    const handle = await createFederation(await createTenant(), 5);
    const { opened, clients } = await roundAtShareKeys(handle);
    expect(await tenantUpdates(handle)).toBe(5);

    const byClient = await call("POST", abortPath(handle), { token: clients[0]!.token });
    expect(byClient.status).toBe(403);

    const aborted = await expectStatus(200, "POST", abortPath(handle), { token: handle.ownerToken });
    expect(aborted.round).toBe(opened.round);
    expect(aborted.stage).toBe("aborted");
    expect(aborted.outcome).toEqual({
      kind: "aborted",
      code: "aborted_by_owner",
      message: "aborted by the owner",
    });
    expect(aborted.endedAt).not.toBeNull();

    // The federation is free, the reservation is back, and no version came of the round.
    const current = await call("GET", `/v1/federations/${handle.federationId}/rounds/current`, {
      token: handle.ownerToken,
    });
    expect(current.status).toBe(404);
    expect(await tenantUpdates(handle)).toBe(0);
    const usage = await expectStatus(200, "GET", `/v1/federations/${handle.federationId}/usage`, {
      token: handle.ownerToken,
    });
    expect(usage).toMatchObject({ roundsAborted: 1, roundsRun: 0, updatesAggregated: 0 });
    const versions = await expectStatus(200, "GET", `/v1/federations/${handle.federationId}/models`, {
      token: handle.ownerToken,
    });
    expect(versions.map((v: { version: number }) => v.version)).toEqual([0]);

    // Clients that poll learn why, and their late messages are refused.
    expect(await clients[0]!.message()).toMatchObject({
      type: "round_aborted",
      code: "aborted_by_owner",
      message: "aborted by the owner",
    });
    const late = await call(
      "PUT",
      `/v1/federations/${handle.federationId}/rounds/${opened.round}/masked-input`,
      {
        token: clients[1]!.token,
        bytes: new Uint8Array(4 * (opened.secureAggregation.vectorLength + 1)),
      },
    );
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe("wrong_stage");

    // Nothing is left to abort; the next round opens.
    const again = await call("POST", abortPath(handle), { token: handle.ownerToken });
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe("not_found");
    expect((await startRound(handle)).round).toBe(opened.round + 1);
  });

  it("answers 404 when no round is in progress", async () => {
    const handle = await createFederation(await createTenant(), 5);
    const reply = await call("POST", abortPath(handle), { token: handle.ownerToken });
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({ error: { code: "not_found", message: "no round is in progress" } });
  });

  it("refuses with 409 to stop a round that is publishing its total", async () => {
    const handle = await createFederation(await createTenant(), 5);
    const { opened, clients } = await roundAtShareKeys(handle);
    // The Federation cannot take the total, so the Round stays in its reporting step.
    await patchEnv(roundStub(handle.federationId, opened.round), (real) => ({
      FEDERATIONS: withMethods(real.FEDERATIONS, {
        getByName: (getByName) => (name: string) =>
          withMethods(getByName(name as never) as unknown as object, {
            completeRound: () => async () => {
              throw new Error("the Federation could not be reached");
            },
          }),
      }),
    }));
    for (const client of clients) expect((await client.shareKeys()).status).toBe(200);
    for (const [i, client] of clients.entries())
      expect(
        (await client.maskedInput(new Float64Array(opened.secureAggregation.vectorLength), i)).status,
      ).toBe(200);
    for (const client of clients) expect((await client.consistencyCheck()).status).toBe(200);
    for (const client of clients) expect((await client.unmask()).status).toBe(200);
    const reporting = await roundStub(handle.federationId, opened.round).describe();
    expect(reporting.ok && reporting.value).toMatchObject({ stage: "done", outcome: null });

    const refused = await call("POST", abortPath(handle), { token: handle.ownerToken });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("conflict");
    expect((await roundSummary(handle, opened.round)).outcome).toBeNull();
  });

  it("is documented in the OpenAPI document", async () => {
    const document = await expectStatus(200, "GET", "/v1/openapi.json");
    const route = document.paths["/federations/{federationId}/rounds/current/abort"];
    expect(route?.post?.summary).toMatch(/Abort the round in progress/);
    expect(Object.keys(route.post.responses)).toEqual(expect.arrayContaining(["200", "404", "409"]));
  });
});

describe("the masked-input route", () => {
  it("refuses a vector over what a round can aggregate with 413, naming the limit", async () => {
    const handle = await createFederation(await createTenant(), 5);
    const { round } = await startRound(handle);
    const client = handle.clients[0]!;
    const reply = await call("PUT", `/v1/federations/${handle.federationId}/rounds/${round}/masked-input`, {
      token: client.token,
      bytes: new Uint8Array(MAX_MASKED_INPUT_BYTES + 4),
    });
    expect(reply.status).toBe(413);
    expect(reply.body.error).toEqual({
      code: "payload_too_large",
      message: `request body exceeds ${MAX_MASKED_INPUT_BYTES} bytes`,
    });
  });
});
