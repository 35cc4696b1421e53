// A malicious cohort member over the real edge: it reveals a wrong share at the unmask stage, crafted
// so that the secret the Round rebuilds is still well formed. The round must abort with a reason,
// publish nothing, and leave the federation able to train on.
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../core/random.ts";
import { seededClientSets } from "../../support/evaluation-sets.ts";
import { shiftedShare } from "../../support/malicious-share.ts";
import { meanAlgorithm } from "../../support/mean-kind.ts";
import { call, createFederation, createTenant, expectStatus, type FederationHandle } from "../support/api.ts";
import { evaluationShape } from "../support/federation-config.ts";
import {
  cohortClients,
  latestModel,
  passDeadline,
  plainSum,
  roundSummary,
  runRound,
  startRound,
} from "../support/rounds.ts";
import type { UnmaskResponse } from "../support/secagg.ts";
import { SimClient } from "../support/sim-client.ts";

type ShareKind = "selfMaskShares" | "maskKeyShares";

async function contributionsNow(handle: FederationHandle) {
  const global = meanAlgorithm.fromModelFile((await latestModel(handle)).file);
  const sets = seededClientSets(
    handle.clients.map((c) => c.clientId),
    seededRandom(5),
    evaluationShape(2),
  );
  return {
    global,
    contributionOf: (id: string) =>
      meanAlgorithm.contribute(global, sets.get(id)!, seededRandom(0)) as Float64Array,
  };
}

/**
 * Runs a round in which the first survivor answers the unmask request first and moves its share of
 * one neighbour's secret (of the kind given) by one; `dropped` sends no masked input.
 */
async function roundWithLiar(handle: FederationHandle, kind: ShareKind, dropped?: string) {
  const opened = await startRound(handle);
  const round = opened.round;
  const clients = opened.cohort.map(
    (id) => new SimClient(handle.federationId, round, handle.clients.find((c) => c.clientId === id)!),
  );
  const { contributionOf } = await contributionsNow(handle);
  for (const c of clients) expect((await c.advertise(opened.secureAggregation)).status).toBe(200);
  for (const c of clients) expect((await c.shareKeys()).status).toBe(200);
  const senders = clients.filter((c) => c.clientId !== dropped);
  for (const [i, c] of senders.entries())
    expect((await c.maskedInput(contributionOf(c.clientId), i)).status).toBe(200);
  if (dropped) await passDeadline(handle.federationId, round);
  for (const c of senders) expect((await c.consistencyCheck()).status).toBe(200);

  const [liar, ...honest] = senders as [SimClient, ...SimClient[]];
  const threshold = opened.secureAggregation.threshold;
  // The Round interpolates an owner's secret at its first t neighbours to answer: the liar, then
  // the others in the order they answer below.
  const pointsFor = (owner: string): number[] => {
    const neighbours = clients.find((c) => c.clientId === owner)!.state!.neighbours;
    return senders
      .filter((c) => c.clientId in neighbours)
      .slice(0, threshold)
      .map((c) => neighbours[c.clientId]!.index);
  };
  let victim = "";
  const lie = (response: UnmaskResponse): UnmaskResponse => {
    const [first, ...rest] = response[kind];
    if (!first) throw new Error(`the liar holds no ${kind}`);
    victim = first.of;
    const share = shiftedShare(first.share, liar.state!.index, pointsFor(first.of), 1n);
    return { ...response, [kind]: [{ of: first.of, share }, ...rest] };
  };
  // The Round cannot tell a wrong share when it arrives: it accepts it like any other.
  expect((await liar.unmask(lie)).status).toBe(200);
  for (const c of honest) expect((await c.unmask()).status).toBe(200);
  return { summary: await roundSummary(handle, round), victim, liar };
}

describe("a malicious client at the unmask stage", () => {
  for (const [kind, what, dropIndex] of [
    ["selfMaskShares", "self-mask seed of", undefined],
    ["maskKeyShares", "mask key of", 5],
  ] as const) {
    it(`aborts the round with a reason when a ${kind === "selfMaskShares" ? "self-mask" : "dropped peer's mask-key"} share is wrong, publishes nothing, and the next round trains normally`, async () => {
      const handle = await createFederation(await createTenant(), 6);
      const dropped = dropIndex === undefined ? undefined : handle.clients[dropIndex]!.clientId;
      const { summary, victim } = await roundWithLiar(handle, kind, dropped);
      if (dropped) expect(victim).toBe(dropped);
      expect(summary.stage).toBe("aborted");
      expect(summary.outcome).toEqual({
        kind: "aborted",
        code: "reconstruction_failed",
        message: expect.stringContaining(`${what} ${victim} does not match`),
      });
      expect((await latestModel(handle)).pointer.version).toBe(0);
      const usage = await expectStatus(200, "GET", `/v1/federations/${handle.federationId}/usage`, {
        token: handle.ownerToken,
      });
      expect(usage.roundsAborted).toBe(1);

      // The next round, everyone honest, publishes the model of the survivors' plain sum.
      const { global, contributionOf } = await contributionsNow(handle);
      const run = await runRound(handle, contributionOf);
      expect(run.summary.outcome).toEqual({ kind: "published", version: 1 });
      const expected = meanAlgorithm.finalise(
        global,
        plainSum(run.survivors, run.summary.secureAggregation.scale),
      );
      expect(meanAlgorithm.fromModelFile((await latestModel(handle)).file)).toEqual(expected);
    });
  }
});

describe("a malicious client at the consistency check", () => {
  it("has a signature that does not verify under its key refused with 422, and the round still publishes", async () => {
    const handle = await createFederation(await createTenant(), 5);
    const opened = await startRound(handle);
    const clients = cohortClients(handle, opened);
    const { global, contributionOf } = await contributionsNow(handle);
    for (const c of clients) expect((await c.advertise(opened.secureAggregation)).status).toBe(200);
    for (const c of clients) expect((await c.shareKeys()).status).toBe(200);
    for (const [i, c] of clients.entries())
      expect((await c.maskedInput(contributionOf(c.clientId), i)).status).toBe(200);
    const [liar, honest, ...rest] = clients as [SimClient, SimClient, ...SimClient[]];
    expect((await honest.consistencyCheck()).status).toBe(200);
    // The liar passes off its neighbour's valid signature of the survivor set as its own.
    const copied = await call(
      "POST",
      `/v1/federations/${handle.federationId}/rounds/${opened.round}/consistency-check`,
      {
        token: liar.token,
        json: { ...honest.state!.signatureSent!, clientId: liar.clientId },
      },
    );
    expect(copied.status).toBe(422);
    expect(copied.body.error.code).toBe("invalid_message");

    // Nothing of the refused message was kept: the liar's own signature is accepted as its first.
    for (const c of [liar, ...rest]) expect((await c.consistencyCheck()).status).toBe(200);
    for (const c of clients) expect((await c.unmask()).status).toBe(200);
    const summary = await roundSummary(handle, opened.round);
    expect(summary.outcome).toEqual({ kind: "published", version: 1 });
    const expected = meanAlgorithm.finalise(global, plainSum(clients, summary.secureAggregation.scale));
    expect(meanAlgorithm.fromModelFile((await latestModel(handle)).file)).toEqual(expected);
  });
});
