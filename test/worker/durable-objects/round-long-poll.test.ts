// Long polls (core/wire/long-poll.ts): a client's poll of its round message, its stage messages'
// receipts and its check-in are held until something changes for it, at most waitMs. And a stage
// stops waiting for stragglers once a quorum has answered (core/secagg/stragglers.ts).
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { LONG_POLL_MAX_MS } from "../../../core/wire/long-poll.ts";
import { call, createFederation, createTenant, expectStatus, type FederationHandle } from "../support/api.ts";
import { cohortClients, roundStub, roundSummary, startRound } from "../support/rounds.ts";

const LONG = { advertiseKeys: 600, shareKeys: 600, maskedInput: 600, unmask: 600 };

/** A manual federation of `clients`, every one in each round, with stage deadlines of 10 minutes. */
async function federationOf(clients: number, stageQuorum?: number) {
  // The complete graph's strict majority.
  const threshold = Math.floor(clients / 2) + 1;
  return createFederation(await createTenant(), clients, {
    roundPolicy: {
      cohortSize: clients,
      minParticipants: Math.max(5, threshold),
      participationFraction: 1,
      deadlines: LONG,
      ...(stageQuorum === undefined ? {} : { stageQuorum }),
    },
    secureAggregation: { threshold, neighbourDegree: "complete", curve: "X25519" },
  });
}

const messagePath = (handle: FederationHandle, round: number) =>
  `/v1/federations/${handle.federationId}/rounds/${round}/message`;

/** A promise's outcome once it settles, and whether it has yet. */
function watched<T>(promise: Promise<T>) {
  const seen: { settled: boolean; value?: T } = { settled: false };
  void promise.then((value) => {
    seen.settled = true;
    seen.value = value;
  });
  return seen;
}

describe("long polls of a round", () => {
  it("hold a client's poll until the stage ends, then answer its next message", async () => {
    const handle = await federationOf(5);
    const opened = await startRound(handle);
    const clients = cohortClients(handle, opened);
    expect((await clients[0]!.advertise(opened.secureAggregation)).status).toBe(200);
    const poll = watched(
      expectStatus(200, "GET", `${messagePath(handle, opened.round)}?waitMs=10000`, {
        token: clients[0]!.token,
      }),
    );
    for (const c of clients.slice(1, 4))
      expect((await c.advertise(opened.secureAggregation)).status).toBe(200);
    // Four of five have answered: nothing new for client 0 yet, and its poll is still held.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(poll.settled).toBe(false);
    expect((await clients[4]!.advertise(opened.secureAggregation)).status).toBe(200);
    await expect.poll(() => poll.settled, { timeout: 5000 }).toBe(true);
    expect(poll.value).toMatchObject({ type: "neighbour_keys", clientId: clients[0]!.clientId });
  });

  it("answer waiting once waitMs has passed with no stage ending", async () => {
    const handle = await federationOf(5);
    const opened = await startRound(handle);
    const [client] = cohortClients(handle, opened);
    expect((await client!.advertise(opened.secureAggregation)).status).toBe(200);
    const asked = Date.now();
    const answer = await expectStatus(200, "GET", `${messagePath(handle, opened.round)}?waitMs=300`, {
      token: client!.token,
    });
    expect(answer).toMatchObject({ type: "waiting", stage: "advertise_keys" });
    expect(Date.now() - asked).toBeGreaterThanOrEqual(250);
  });

  it("bring the next message with a stage message's receipt", async () => {
    const handle = await federationOf(5);
    const opened = await startRound(handle);
    const clients = cohortClients(handle, opened);
    for (const c of clients.slice(1)) expect((await c.advertise(opened.secureAggregation)).status).toBe(200);
    // The last advertisement closes the stage: its receipt, held, brings the neighbours' keys.
    const waited = await clients[0]!.advertise(opened.secureAggregation, 10_000);
    expect(waited.status).toBe(200);
    expect(waited.body).toMatchObject({
      stage: "advertise_keys",
      clientId: clients[0]!.clientId,
      next: { type: "neighbour_keys", clientId: clients[0]!.clientId },
    });
    expect(waited.body.next.neighbours).toHaveLength(4);
  });

  it(`refuse a wait above ${LONG_POLL_MAX_MS} ms with invalid_request`, async () => {
    const handle = await federationOf(5);
    const opened = await startRound(handle);
    const [client] = cohortClients(handle, opened);
    const reply = await call("GET", `${messagePath(handle, opened.round)}?waitMs=${LONG_POLL_MAX_MS + 1}`, {
      token: client!.token,
    });
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe("invalid_request");
  });

  it("hold a check-in until a round after the one named invites the client", async () => {
    const handle = await federationOf(5);
    const client = handle.clients[0]!;
    const held = watched(
      expectStatus(200, "POST", `/v1/federations/${handle.federationId}/check-in?waitMs=10000&afterRound=0`, {
        token: client.token,
        json: { evaluationBucket: 1 },
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(held.settled).toBe(false);
    const opened = await startRound(handle);
    await expect.poll(() => held.settled, { timeout: 5000 }).toBe(true);
    expect(held.value).toMatchObject({
      invitedTo: opened.round,
      invitation: { round: opened.round, inCohort: true, stage: "advertise_keys" },
    });
    // Having taken part in that round, the client is not woken for it again: held to the end of
    // its wait, the check-in then says what is true, that the round still invites it.
    const asked = Date.now();
    const again = await expectStatus(
      200,
      "POST",
      `/v1/federations/${handle.federationId}/check-in?waitMs=300&afterRound=${opened.round}`,
      { token: client.token, json: { evaluationBucket: 1 } },
    );
    expect(Date.now() - asked).toBeGreaterThanOrEqual(250);
    expect(again.invitedTo).toBe(opened.round);
  });
});

describe("a stage with a quorum", () => {
  /** The stage's deadline (ms) as the Round stores it. */
  const deadlineOf = (handle: FederationHandle, round: number, stage: string) =>
    runInDurableObject(roundStub(handle.federationId, round), (_instance, state) => {
      const row = state.storage.sql.exec("SELECT at FROM deadlines WHERE name = ?", stage).toArray()[0];
      return row ? Number(row.at) : undefined;
    });

  it("stops waiting for stragglers a grace period after the quorum answered", async () => {
    const handle = await federationOf(10, 0.8);
    const opened = await startRound(handle);
    const clients = cohortClients(handle, opened);
    for (const c of clients.slice(0, 7))
      expect((await c.advertise(opened.secureAggregation)).status).toBe(200);
    // Seven of ten: below the quorum of eight, the stage keeps its ten-minute deadline.
    expect((await deadlineOf(handle, opened.round, "advertise_keys"))! - Date.now()).toBeGreaterThan(500_000);
    const quorumAt = Date.now();
    expect((await clients[7]!.advertise(opened.secureAggregation)).status).toBe(200);
    // Eight: the deadline moves in to the end of the grace period (at the pace of the answers so far,
    // at least 2 s).
    const graced = (await deadlineOf(handle, opened.round, "advertise_keys"))!;
    expect(graced - quorumAt).toBeGreaterThanOrEqual(1_900);
    expect(graced - quorumAt).toBeLessThan(60_000);
    // At that deadline the stage closes without the two stragglers, and the round goes on.
    await runInDurableObject(roundStub(handle.federationId, opened.round), (_instance, state) => {
      state.storage.sql.exec("UPDATE deadlines SET at = 0");
    });
    await runDurableObjectAlarm(roundStub(handle.federationId, opened.round));
    const summary = await roundSummary(handle, opened.round);
    expect(summary.stage).toBe("share_keys");
    expect(summary.participants.advertiseKeys).toBe(8);
  });

  it("waits for everyone, or the deadline, at a quorum of 1", async () => {
    const handle = await federationOf(10, 1);
    const opened = await startRound(handle);
    const clients = cohortClients(handle, opened);
    for (const c of clients.slice(0, 9))
      expect((await c.advertise(opened.secureAggregation)).status).toBe(200);
    expect((await deadlineOf(handle, opened.round, "advertise_keys"))! - Date.now()).toBeGreaterThan(500_000);
  });
});
