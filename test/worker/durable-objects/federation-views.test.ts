// What a client token sees of its federation: no usage ledger, no cohort beyond its own membership.
import { describe, expect, it } from "vitest";
import { createFederation, createTenant, expectStatus, type FederationHandle } from "../support/api.ts";

/** A federation of five clients with round 1 open to the first four. */
async function roundOfFour(): Promise<{ handle: FederationHandle; base: string; cohort: string[] }> {
  const handle = await createFederation(await createTenant(), 5);
  const cohort = handle.clients.slice(0, 4).map((c) => c.clientId);
  const base = `/v1/federations/${handle.federationId}`;
  await expectStatus(201, "POST", `${base}/rounds`, { token: handle.ownerToken, json: { cohort } });
  return { handle, base, cohort };
}

describe("what each role sees of a federation", () => {
  it("shows the usage ledger to owners and not to clients", async () => {
    const { handle, base } = await roundOfFour();
    const asOwner = await expectStatus(200, "GET", base, { token: handle.ownerToken });
    expect(asOwner.usage).toMatchObject({ roundsRun: 0 });
    const asClient = await expectStatus(200, "GET", base, { token: handle.clients[0]!.token });
    expect(asClient).not.toHaveProperty("usage");
    expect(asClient).toMatchObject({ id: handle.federationId, latestVersion: 0, currentRound: 1 });
  });

  it("shows a client of each round only whether it is in the cohort, not who is", async () => {
    const { handle, base, cohort } = await roundOfFour();
    const ownerRound = await expectStatus(200, "GET", `${base}/rounds/current`, { token: handle.ownerToken });
    expect(ownerRound.cohort).toEqual([...cohort].sort());
    for (const [client, member] of [
      [handle.clients[0]!, true],
      [handle.clients[4]!, false],
    ] as const) {
      for (const path of ["/rounds/current", "/rounds/1"]) {
        const round = await expectStatus(200, "GET", `${base}${path}`, { token: client.token });
        expect(round).not.toHaveProperty("cohort");
        expect(round).toMatchObject({ round: 1, inCohort: member, stage: "advertise_keys" });
      }
      const rounds = await expectStatus(200, "GET", `${base}/rounds`, { token: client.token });
      expect(rounds).toEqual([expect.objectContaining({ round: 1, inCohort: member })]);
      expect(rounds[0]).not.toHaveProperty("cohort");
    }
  });
});
