import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../core/random.ts";
import { seededClientSets } from "../../support/evaluation-sets.ts";
import { type MeanState, meanAlgorithm } from "../../support/mean-kind.ts";
import { call, createFederation, createTenant, expectStatus, type FederationHandle } from "../support/api.ts";
import { evaluationShape } from "../support/federation-config.ts";
import {
  type DropPoint,
  latestModel,
  passDeadline,
  plainSum,
  roundStub,
  roundSummary,
  runRound,
  startRound,
} from "../support/rounds.ts";
import { fromBase64Url, selfMaskCommitment } from "../support/secagg.ts";
import { SimClient } from "../support/sim-client.ts";

function contributions(handle: FederationHandle) {
  const sets = seededClientSets(
    handle.clients.map((c) => c.clientId),
    seededRandom(7),
    evaluationShape(2),
  );
  return (global: MeanState) => (id: string) =>
    meanAlgorithm.contribute(global, sets.get(id)!, seededRandom(0)) as Float64Array;
}

/** Runs a round and checks the published model against the plain sum of the survivors. */
async function expectCorrectRound(
  handle: FederationHandle,
  version: number,
  drops: Map<string, DropPoint> = new Map(),
  afterMessage?: (stage: string, round: number) => Promise<void>,
) {
  const before = await latestModel(handle);
  const global = meanAlgorithm.fromModelFile(before.file);
  const run = await runRound(handle, contributions(handle)(global), drops, version, afterMessage);
  expect(run.summary.outcome).toEqual({ kind: "published", version });
  const expected = meanAlgorithm.finalise(
    global,
    plainSum(run.survivors, run.summary.secureAggregation.scale),
  );
  const { file } = await latestModel(handle);
  expect(meanAlgorithm.fromModelFile(file)).toEqual(expected);
  return run;
}

describe("round faults", () => {
  it("resumes from storage when the Round object is evicted after every message of every stage", async () => {
    const handle = await createFederation(await createTenant(), 6);
    const drops = new Map<string, DropPoint>([[handle.clients[4]!.clientId, "share_keys"]]);
    let evictions = 0;
    await expectCorrectRound(handle, 1, drops, async (_stage, round) => {
      await evictDurableObject(roundStub(handle.federationId, round));
      evictions++;
    });
    expect(evictions).toBeGreaterThanOrEqual(6 + 6 + 5 + 5);
    // The next round still runs.
    await expectCorrectRound(handle, 2);
  });

  /** The drop point that leaves a client missing from each stage. */
  const MISSING_FROM: Record<string, DropPoint> = {
    advertise_keys: "none",
    share_keys: "advertise_keys",
    masked_input: "share_keys",
    consistency_check: "masked_input",
    unmask: "consistency_check",
  };
  const order = ["advertise_keys", "share_keys", "masked_input", "consistency_check", "unmask"] as const;
  for (const stage of order) {
    it(`closes ${stage} at its deadline without the missing client and publishes`, async () => {
      const handle = await createFederation(await createTenant(), 6);
      const drop = MISSING_FROM[stage]!;
      const run = await expectCorrectRound(handle, 1, new Map([[handle.clients[0]!.clientId, drop]]));
      expect(run.summary.stage).toBe("done");
      await expectCorrectRound(handle, 2);
    });

    it(`aborts cleanly when too few clients answer ${stage} by its deadline, and the next round runs`, async () => {
      const handle = await createFederation(await createTenant(), 5);
      const round = (await startRound(handle)).round;
      const clients = (await roundSummary(handle, round)).cohort.map(
        (id) => new SimClient(handle.federationId, round, handle.clients.find((c) => c.clientId === id)!),
      );
      const config = (await roundSummary(handle, round)).secureAggregation;
      const global = meanAlgorithm.fromModelFile((await latestModel(handle)).file);
      // Everyone completes the stages before `stage`; in `stage` only two clients answer.
      for (const current of order.slice(0, order.indexOf(stage) + 1)) {
        const acting = current === stage ? clients.slice(0, 2) : clients;
        for (const [i, client] of acting.entries()) {
          const reply =
            current === "advertise_keys"
              ? await client.advertise(config)
              : current === "share_keys"
                ? await client.shareKeys()
                : current === "masked_input"
                  ? await client.maskedInput(contributions(handle)(global)(client.clientId), i)
                  : current === "consistency_check"
                    ? await client.consistencyCheck()
                    : await client.unmask();
          expect(reply.status).toBe(200);
        }
      }
      await passDeadline(handle.federationId, round);
      const summary = await roundSummary(handle, round);
      expect(summary.stage).toBe("aborted");
      expect(summary.outcome).toMatchObject({
        kind: "aborted",
        code: expect.stringMatching(/too_few_survivors|reconstruction_failed/),
      });
      // A client that polls learns why.
      const message = await clients[0]!.message();
      expect(message.type).toBe("round_aborted");
      expect((await latestModel(handle)).pointer.version).toBe(0);
      const usage = await expectStatus(200, "GET", `/v1/federations/${handle.federationId}/usage`, {
        token: handle.ownerToken,
      });
      expect(usage.roundsAborted).toBe(1);
      await expectCorrectRound(handle, 1);
    });
  }

  it("answers duplicated, replayed, late and out-of-order messages without changing the round", async () => {
    const handle = await createFederation(await createTenant(), 6);
    const round = (await startRound(handle)).round;
    const summary = await roundSummary(handle, round);
    const byId = new Map(handle.clients.map((c) => [c.clientId, c]));
    const clients = summary.cohort.map((id) => new SimClient(handle.federationId, round, byId.get(id)!));
    const [first, second, , , , late] = clients as [SimClient, SimClient, ...SimClient[]] & {
      5: SimClient;
    };
    const base = `/v1/federations/${handle.federationId}/rounds/${round}`;

    // Out of order: a masked input of the round's length before any keys were advertised.
    const early = await call("PUT", `${base}/masked-input`, {
      token: first.token,
      bytes: new Uint8Array(4 * (summary.secureAggregation.vectorLength + 1)),
    });
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe("wrong_stage");

    const advertised = await first.advertise(summary.secureAggregation);
    const advertiseMessage = {
      type: "advertise_keys",
      stage: "advertise_keys",
      roundId: summary.secureAggregation.roundId,
      clientId: first.clientId,
      encryptionPublicKey: first.state!.encryptionKeys.publicKey,
      maskPublicKey: first.state!.maskKeys.publicKey,
      signingPublicKey: first.state!.signingKeys.publicKey,
      selfMaskCommitment: await selfMaskCommitment(
        summary.secureAggregation.roundId,
        first.clientId,
        fromBase64Url(first.state!.selfMaskSeed),
      ),
    };
    // Duplicate: the same message again gets the same receipt.
    const again = await call("POST", `${base}/advertise-keys`, {
      token: first.token,
      json: advertiseMessage,
    });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(advertised.body);
    expect(advertised.body.digest).toMatch(/^[0-9a-f]{64}$/);
    // A different message for the same stage is refused.
    const conflicting = await new SimClient(handle.federationId, round, byId.get(first.clientId)!).advertise(
      summary.secureAggregation,
    );
    expect(conflicting.status).toBe(409);
    expect(conflicting.body.error.code).toBe("conflicting_resubmission");
    // A message of another round (replayed into this one) is refused.
    const otherRound = await call("POST", `${base}/advertise-keys`, {
      token: second.token,
      json: { ...advertiseMessage, clientId: second.clientId, roundId: `${handle.federationId}/99` },
    });
    expect(otherRound.status).toBe(409);
    expect(otherRound.body.error.code).toBe("wrong_round");
    // A client may not speak for another.
    const impersonation = await call("POST", `${base}/advertise-keys`, {
      token: second.token,
      json: advertiseMessage,
    });
    expect(impersonation.status).toBe(403);

    for (const client of clients.slice(1, 5))
      expect((await client.advertise(summary.secureAggregation)).status).toBe(200);
    // `late` never advertised: the stage closes at its deadline without it.
    await passDeadline(handle.federationId, round);
    const lateReply = await late.advertise(summary.secureAggregation);
    expect(lateReply.status).toBe(409);
    expect(lateReply.body.error.code).toBe("wrong_stage");

    const active = clients.slice(0, 5);
    for (const client of active) expect((await client.shareKeys()).status).toBe(200);
    const global = meanAlgorithm.fromModelFile((await latestModel(handle)).file);
    const contributionOf = contributions(handle)(global);
    const masked: { status: number; body: unknown }[] = [];
    for (const [i, client] of active.entries())
      masked.push(await client.maskedInput(contributionOf(client.clientId), i));
    for (const reply of masked) expect(reply.status).toBe(200);
    // A masked input's receipt names the hex SHA-256 of the vector's bytes, as the API documents.
    const vectorHash = new Uint8Array(await crypto.subtle.digest("SHA-256", first.maskedBytes!));
    expect(masked[0]!.body).toEqual({
      stage: "masked_input",
      clientId: first.clientId,
      digest: Array.from(vectorHash, (b) => b.toString(16).padStart(2, "0")).join(""),
    });
    for (const client of active) expect((await client.consistencyCheck()).status).toBe(200);
    for (const client of active) expect((await client.unmask()).status).toBe(200);
    const done = await roundSummary(handle, round);
    expect(done.outcome).toEqual({ kind: "published", version: 1 });
    const expected = meanAlgorithm.finalise(global, plainSum(active, done.secureAggregation.scale));
    const published = await latestModel(handle);
    expect(meanAlgorithm.fromModelFile(published.file)).toEqual(expected);

    // Replays after the round finished: the same receipt, and nothing changes.
    const usageBefore = await expectStatus(200, "GET", `/v1/federations/${handle.federationId}/usage`, {
      token: handle.ownerToken,
    });
    const replayed = await call("PUT", `${base}/masked-input`, {
      token: first.token,
      bytes: first.maskedBytes,
    });
    expect(replayed.status).toBe(200);
    expect(replayed.body).toEqual(masked[0]!.body);
    const tampered = first.maskedBytes!.slice();
    tampered[0]! ^= 1;
    const conflictingVector = await call("PUT", `${base}/masked-input`, {
      token: first.token,
      bytes: tampered,
    });
    expect(conflictingVector.status).toBe(409);
    const usageAfter = await expectStatus(200, "GET", `/v1/federations/${handle.federationId}/usage`, {
      token: handle.ownerToken,
    });
    expect(usageAfter.updatesAggregated).toBe(usageBefore.updatesAggregated);
    expect((await latestModel(handle)).pointer.sha256).toBe(published.pointer.sha256);
    await expectCorrectRound(handle, 2);
  });

  it("refuses a round beyond the tenant's daily quota with 429", async () => {
    const handle = await createFederation(await createTenant("small", 8), 5);
    // The round aggregates its 5 updates, which the quota keeps; a round that aborts would give them back.
    await expectCorrectRound(handle, 1);
    const refused = await call("POST", `/v1/federations/${handle.federationId}/rounds`, {
      token: handle.ownerToken,
    });
    expect(refused.status).toBe(429);
    expect(refused.body.error.code).toBe("quota_exceeded");
    expect(refused.body.error.message).toMatch(/5 of 8 used today/);
  });
});
