// Revoking a client and opening a round run one after the other in the Federation: a client revoked
// before a round opens is never in a position to submit in it, and one revoked after is refused by
// the Round (it then counts as a dropout, which secure aggregation recovers from).
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { call, createFederation, createTenant, expectStatus, type FederationHandle } from "../support/api.ts";
import { failing, patchEnv, sleep, withMethods } from "../support/faults.ts";
import { roundStub } from "../support/rounds.ts";
import { SimClient } from "../support/sim-client.ts";

const revoke = (handle: FederationHandle, clientId: string) =>
  call("DELETE", `/v1/federations/${handle.federationId}/clients/${clientId}`, { token: handle.ownerToken });

/** What the revoked client gets when it tries to take part in the round. */
async function attempt(
  handle: FederationHandle,
  round: { round: number; cohort: string[] },
  clientId: string,
) {
  if (!round.cohort.includes(clientId)) return "not in the cohort";
  const summary = await expectStatus(
    200,
    "GET",
    `/v1/federations/${handle.federationId}/rounds/${round.round}`,
    {
      token: handle.ownerToken,
    },
  );
  const client = new SimClient(
    handle.federationId,
    round.round,
    handle.clients.find((c) => c.clientId === clientId)!,
  );
  return (await client.advertise(summary.secureAggregation)).status;
}

describe("revoking a client while rounds open", () => {
  it("never lets a client revoked while a round opens submit in that round", async () => {
    const handle = await createFederation(await createTenant(), 5);
    const victim = handle.clients[0]!.clientId;
    // Hold the opening at its read of the latest model, long enough for a revocation to slip in
    // if nothing keeps the two apart.
    let opening = false;
    await patchEnv(env.FEDERATIONS.getByName(handle.federationId), (real) => ({
      MODELS: withMethods(real.MODELS, {
        get:
          (get) =>
          async (...args: never[]) => {
            opening = true;
            await sleep(400);
            return get(...args);
          },
      }),
    }));
    const start = call("POST", `/v1/federations/${handle.federationId}/rounds`, { token: handle.ownerToken });
    while (!opening) await sleep(5);
    const revoked = await revoke(handle, victim);
    expect(revoked.status).toBe(200);
    const opened = await start;
    expect(opened.status).toBe(201);
    // Either the round opened without the client, or it opened first and was told: 401.
    expect([401, "not in the cohort"]).toContain(await attempt(handle, opened.body, victim));
  });

  it("keeps a client active until the round in progress has refused it, so a failed revocation can be retried", async () => {
    const handle = await createFederation(await createTenant(), 5);
    const opened = await expectStatus(201, "POST", `/v1/federations/${handle.federationId}/rounds`, {
      token: handle.ownerToken,
    });
    const victim = opened.cohort[0] as string;
    // The first attempt cannot reach the Round.
    let fault: ReturnType<typeof failing> | undefined;
    await patchEnv(env.FEDERATIONS.getByName(handle.federationId), (real) => ({
      ROUNDS: withMethods(real.ROUNDS, {
        getByName: (getByName) => (name: string) =>
          withMethods(getByName(name as never) as unknown as object, {
            revoke: (original) =>
              (fault ??= failing(original, 1, async () => {
                throw new Error("the Round could not be reached");
              })),
          }),
      }),
    }));
    expect((await revoke(handle, victim)).status).toBe(500);
    const clients = await expectStatus(200, "GET", `/v1/federations/${handle.federationId}/clients`, {
      token: handle.ownerToken,
    });
    expect(clients.find((c: { id: string }) => c.id === victim).revokedAt).toBeNull();

    expect((await revoke(handle, victim)).status).toBe(200);
    expect(await attempt(handle, opened, victim)).toBe(401);
    const described = await roundStub(handle.federationId, opened.round).describe();
    expect(described.ok && described.value.participants.advertiseKeys).toBe(0);
  });
});
