// What a client token sees of its federation: no usage ledger, no cohort beyond its own membership,
// no model version that holds a round's intermediate total (unless it trains on it in a round).
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../core/random.ts";
import type { Federation } from "../../../durable-objects/federation.ts";
import type { FederationStore } from "../../../durable-objects/federation-store.ts";
import { seededEvaluationSet } from "../../support/evaluation-sets.ts";
import { meanAlgorithm, meanKind } from "../../support/mean-kind.ts";
import {
  call,
  createFederation,
  createTenant,
  expectStatus,
  type FederationHandle,
  federationConfig,
} from "../support/api.ts";
import { evaluationShape, kindSetup } from "../support/federation-config.ts";
import { runRound } from "../support/rounds.ts";

/** A federation of six clients with round 1 open to the first five (the platform's minimum cohort). */
async function roundOfFive(): Promise<{ handle: FederationHandle; base: string; cohort: string[] }> {
  const handle = await createFederation(await createTenant(), 6);
  const cohort = handle.clients.slice(0, 5).map((c) => c.clientId);
  const base = `/v1/federations/${handle.federationId}`;
  await expectStatus(201, "POST", `${base}/rounds`, { token: handle.ownerToken, json: { cohort } });
  return { handle, base, cohort };
}

describe("what each role sees of a federation", () => {
  it("shows the usage ledger to owners and not to clients", async () => {
    const { handle, base } = await roundOfFive();
    const asOwner = await expectStatus(200, "GET", base, { token: handle.ownerToken });
    expect(asOwner.usage).toMatchObject({ roundsRun: 0 });
    const asClient = await expectStatus(200, "GET", base, { token: handle.clients[0]!.token });
    expect(asClient).not.toHaveProperty("usage");
    expect(asClient).toMatchObject({ id: handle.federationId, latestVersion: 0, currentRound: 1 });
  });

  it("shows a client of each round only whether it is in the cohort, not who is", async () => {
    const { handle, base, cohort } = await roundOfFive();
    const ownerRound = await expectStatus(200, "GET", `${base}/rounds/current`, { token: handle.ownerToken });
    expect(ownerRound.cohort).toEqual([...cohort].sort());
    for (const [client, member] of [
      [handle.clients[0]!, true],
      [handle.clients[5]!, false],
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

  it("serves a client final versions and those no round made, and a round's version only to its cohort while it runs", async () => {
    const config = federationConfig({
      router: { kind: "mean", hyperparameters: { rounds: 2 } },
      roundPolicy: { ...federationConfig().roundPolicy, cohortSize: 5 },
    });
    const handle = await createFederation(await createTenant(), 6, config);
    const base = `/v1/federations/${handle.federationId}`;
    const contribution = (id: string) => {
      const random = seededRandom(id.charCodeAt(6));
      return meanAlgorithm.contribute(
        meanKind.initialState(kindSetup(config)),
        seededEvaluationSet(random, evaluationShape(3, config)),
        random,
      ) as Float64Array;
    };
    const versionsOf = async (token: string) =>
      (await expectStatus(200, "GET", `${base}/models`, { token })).map(
        (v: { version: number }) => v.version,
      );
    const latestOf = async (token: string) =>
      (await expectStatus(200, "GET", `${base}/models/latest`, { token })).version;
    const readable = async (token: string, version: number) =>
      (await call("GET", `${base}/models/${version}`, { token })).status;

    // Round 1 publishes version 1, the first of the mean's two passes: intermediate.
    await runRound(handle, contribution);
    const reader = handle.clients[0]!.token;
    expect(await latestOf(handle.ownerToken)).toBe(1);
    expect(await latestOf(reader)).toBe(0);
    expect(await versionsOf(reader)).toEqual([0]);
    expect(await readable(reader, 1)).toBe(404);
    expect(await readable(handle.ownerToken, 1)).toBe(200);

    // While round 2 trains on version 1, its cohort (5 of the 6) may read it, and only them.
    const seen = new Map<string, { status: number; versions: number[]; latest: number }>();
    await runRound(handle, contribution, new Map(), 2, async () => {
      if (seen.size > 0) return;
      const { cohort } = await expectStatus(200, "GET", `${base}/rounds/current`, {
        token: handle.ownerToken,
      });
      for (const client of handle.clients)
        seen.set(cohort.includes(client.clientId) ? "member" : "outsider", {
          status: await readable(client.token, 1),
          versions: await versionsOf(client.token),
          latest: await latestOf(client.token),
        });
    });
    expect(seen.get("member")).toEqual({ status: 200, versions: [0, 1], latest: 0 });
    expect(seen.get("outsider")).toEqual({ status: 404, versions: [0], latest: 0 });

    // Version 2 is final: every client reads it; version 1 is hidden again, the round being over.
    expect(await latestOf(reader)).toBe(2);
    expect(await versionsOf(reader)).toEqual([0, 2]);
    for (const client of handle.clients) expect(await readable(client.token, 1)).toBe(404);
  });

  it("answers clients from one frozen copy of the current round, read again once the round is saved", async () => {
    const { handle, base } = await roundOfFive();
    const client = handle.clients[0]!;
    const seen = await expectStatus(200, "GET", `${base}/rounds/current`, { token: client.token });
    expect(seen).toMatchObject({ round: 1, stage: "advertise_keys", inCohort: true });
    await runInDurableObject(env.FEDERATIONS.getByName(handle.federationId), (instance: Federation) => {
      const store = (instance as unknown as { store: FederationStore }).store;
      const viewed = store.viewRound(1)!;
      expect(store.viewRound(1)).toBe(viewed);
      expect(Object.isFrozen(viewed) && Object.isFrozen(viewed.cohort)).toBe(true);
      // A save (here: a stage the Round reported) drops the copy; the next read sees the change.
      store.saveRound({ ...store.round(1)!, stage: "share_keys" });
      expect(store.viewRound(1)).not.toBe(viewed);
      expect(store.viewRound(1)!.stage).toBe("share_keys");
    });
    const after = await expectStatus(200, "GET", `${base}/rounds/current`, { token: client.token });
    expect(after).toMatchObject({ round: 1, stage: "share_keys" });
  });
});
