// A federation that trains itself: clients check in (and their check-ins expire), rounds sample
// their cohorts from the checked-in clients, and a continuous schedule opens every round of a
// training from the Federation's alarm with no owner call, trains again once enough new
// evaluations are reported, and stops while its owner has paused it.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../core/random.ts";
import { seededEvaluationSet } from "../../support/evaluation-sets.ts";
import { meanAlgorithm, meanKind } from "../../support/mean-kind.ts";
import { call, createFederation, createTenant, expectStatus, type FederationHandle } from "../support/api.ts";
import { evaluationShape, kindSetup, wholeCohortRounds } from "../support/federation-config.ts";
import { cohortClients, roundSummary, startRound } from "../support/rounds.ts";

const contribution = (seed: number) => {
  const random = seededRandom(seed);
  const set = seededEvaluationSet(random, evaluationShape(2));
  return meanAlgorithm.contribute(meanKind.initialState(kindSetup()), set, random) as Float64Array;
};

const federationStub = (handle: FederationHandle) => env.FEDERATIONS.getByName(handle.federationId);

const checkIn = (handle: FederationHandle, client: { token: string }, evaluationBucket = 1) =>
  expectStatus(200, "POST", `/v1/federations/${handle.federationId}/check-in`, {
    token: client.token,
    json: { evaluationBucket },
  });

const describeFederation = (handle: FederationHandle) =>
  expectStatus(200, "GET", `/v1/federations/${handle.federationId}`, { token: handle.ownerToken });

/** Every cohort member answers every stage of the round in progress. */
async function driveCurrentRound(handle: FederationHandle) {
  const opened = await expectStatus(200, "GET", `/v1/federations/${handle.federationId}/rounds/current`, {
    token: handle.ownerToken,
  });
  const clients = cohortClients(handle, opened);
  for (const c of clients) expect((await c.advertise(opened.secureAggregation)).status).toBe(200);
  for (const c of clients) expect((await c.shareKeys()).status).toBe(200);
  for (const [i, c] of clients.entries())
    expect((await c.maskedInput(contribution(i + 1), i)).status).toBe(200);
  for (const c of clients) expect((await c.consistencyCheck()).status).toBe(200);
  for (const c of clients) expect((await c.unmask()).status).toBe(200);
  return roundSummary(handle, opened.round);
}

const continuous = {
  kind: "continuous",
  minClients: 5,
  maxWaitSeconds: 600,
  retrainAfterEvaluations: 10,
} as const;

describe("check-in", () => {
  it("counts a client as available until its check-in expires, and only from a client token", async () => {
    const handle = await createFederation(await createTenant(), 5);
    const receipt = await checkIn(handle, handle.clients[0]!);
    expect(receipt.invitedTo).toBeNull();
    expect(Date.parse(receipt.expiresAt)).toBeGreaterThan(Date.now());
    expect((await describeFederation(handle)).training).toMatchObject({ state: "manual", checkedIn: 1 });
    await runInDurableObject(federationStub(handle), (_instance, state) => {
      state.storage.sql.exec("UPDATE check_ins SET expires_at = ?", Date.now() - 1);
    });
    expect((await describeFederation(handle)).training.checkedIn).toBe(0);
    const path = `/v1/federations/${handle.federationId}/check-in`;
    const owner = await call("POST", path, { token: handle.ownerToken, json: { evaluationBucket: 1 } });
    expect(owner.status).toBe(403);
    const exact = await call("POST", path, {
      token: handle.clients[0]!.token,
      json: { evaluationBucket: 99 },
    });
    expect(exact.status).toBe(400);
  });

  it("samples an owner's round from the checked-in clients once there are enough", async () => {
    const handle = await createFederation(await createTenant(), 8, {
      ...wholeCohortRounds(5),
      roundPolicy: { ...wholeCohortRounds(5).roundPolicy, participationFraction: 0.5 },
    });
    const available = handle.clients.slice(3);
    for (const c of available) await checkIn(handle, c);
    const opened = await startRound(handle);
    expect([...opened.cohort].sort()).toEqual(available.map((c) => c.clientId).sort());
    expect((await checkIn(handle, available[0]!)).invitedTo).toBe(opened.round);
  });
});

describe("a continuous schedule", () => {
  it("trains to a final version with no owner call, and again after new evaluations", async () => {
    const handle = await createFederation(await createTenant(), 5, {
      ...wholeCohortRounds(5),
      router: { kind: "mean", hyperparameters: { rounds: 2 } },
      schedule: continuous,
    });
    expect((await describeFederation(handle)).training).toMatchObject({ state: "waiting_for_clients" });
    // Four of five checked in: below minClients, the alarm opens nothing.
    for (const c of handle.clients.slice(0, 4)) await checkIn(handle, c);
    await runDurableObjectAlarm(federationStub(handle));
    expect((await describeFederation(handle)).currentRound).toBeNull();
    await checkIn(handle, handle.clients[4]!);
    await runDurableObjectAlarm(federationStub(handle));
    expect((await describeFederation(handle)).currentRound).toBe(1);
    expect((await driveCurrentRound(handle)).outcome).toEqual({ kind: "published", version: 1 });
    // The round's end woke the schedule: its alarm opens the training's second round.
    await runDurableObjectAlarm(federationStub(handle));
    expect((await describeFederation(handle)).currentRound).toBe(2);
    expect((await driveCurrentRound(handle)).outcome).toEqual({ kind: "published", version: 2 });
    await runDurableObjectAlarm(federationStub(handle));
    let federation = await describeFederation(handle);
    expect(federation.currentRound).toBeNull();
    expect(federation.training).toMatchObject({ state: "trained", trainings: 1, newEvaluations: 0 });
    // Clients report more evaluations (bucket 2: at least 10 each): the trigger fires.
    for (const c of handle.clients) await checkIn(handle, c, 2);
    await runDurableObjectAlarm(federationStub(handle));
    federation = await describeFederation(handle);
    // A fresh initial model (version 3) and its first round.
    expect(federation.latestVersion).toBe(3);
    expect(federation.currentRound).toBe(3);
    expect(federation.training).toMatchObject({ state: "training", newEvaluations: 0 });
  });

  it("opens nothing while paused, and resumes on the owner's word", async () => {
    const handle = await createFederation(await createTenant(), 5, {
      ...wholeCohortRounds(5),
      schedule: continuous,
    });
    const path = (action: string) => `/v1/federations/${handle.federationId}/${action}`;
    const paused = await expectStatus(200, "POST", path("pause"), { token: handle.ownerToken });
    expect(paused.training.state).toBe("paused");
    for (const c of handle.clients) await checkIn(handle, c);
    await runDurableObjectAlarm(federationStub(handle));
    expect((await describeFederation(handle)).currentRound).toBeNull();
    const resumed = await expectStatus(200, "POST", path("resume"), { token: handle.ownerToken });
    expect(resumed.training.state).not.toBe("paused");
    await runDurableObjectAlarm(federationStub(handle));
    expect((await describeFederation(handle)).currentRound).toBe(1);
    // A client may not pause; a manual federation has no schedule to pause.
    expect((await call("POST", path("pause"), { token: handle.clients[0]!.token })).status).toBe(403);
    const manual = await createFederation(await createTenant("other"), 0);
    const refused = await call("POST", `/v1/federations/${manual.federationId}/pause`, {
      token: manual.ownerToken,
    });
    expect(refused.status).toBe(409);
  });
});
