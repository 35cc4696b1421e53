// Sharded rounds: a cohort above roundPolicy.shardSize runs as shards, each its own secure
// aggregation among its members, and the Federation publishes one version from their totals.
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../core/random.ts";
import type { RoundShard } from "../../../core/wire/rounds.ts";
import { seededClientSets } from "../../support/evaluation-sets.ts";
import { meanAlgorithm, meanKind } from "../../support/mean-kind.ts";
import { call, createFederation, createTenant, expectStatus, federationConfig } from "../support/api.ts";
import { evaluationShape, kindSetup, wholeCohortRounds } from "../support/federation-config.ts";
import { type DropPoint, latestModel, plainSum, roundStub, runRound, startRound } from "../support/rounds.ts";
import { runShardedRound } from "../support/shards.ts";

const CLIENTS = 12;

/**
 * Rounds of all 12 clients; with `shardSize` 6 they run as two shards of 6. Unsharded, on a
 * 4-regular graph with t = 3 (shards choose their own k and t).
 */
function policy(shardSize?: number, minParticipants = 5) {
  const { roundPolicy } = wholeCohortRounds(CLIENTS);
  return {
    roundPolicy: { ...roundPolicy, minParticipants, ...(shardSize ? { shardSize } : {}) },
    secureAggregation: { threshold: 3, neighbourDegree: 4, curve: "X25519" as const },
  };
}

/** The i-th enrolled client's contribution, the same in every federation of the test. */
function contributions(clientIds: readonly string[]) {
  const byIndex = seededClientSets(
    clientIds.map((_, i) => `client-${i}`),
    seededRandom(7),
    evaluationShape(3),
  );
  const global = meanKind.initialState(kindSetup());
  const index = new Map(clientIds.map((id, i) => [id, i]));
  return {
    global,
    of: (id: string) =>
      meanAlgorithm.contribute(
        global,
        byIndex.get(`client-${index.get(id)}`)!,
        seededRandom(0),
      ) as Float64Array,
  };
}

/** Shard 0's first two members send their masked input, then go silent (4 of 6 sign: below the floor). */
const twoSilentInShardZero = (shard: RoundShard): ReadonlyMap<string, DropPoint> =>
  shard.shard === 0
    ? new Map(shard.cohort.slice(0, 2).map((id) => [id, "masked_input" as const]))
    : new Map();

describe("sharded rounds", () => {
  it("publish one version from the shards' totals, as the unsharded round does", async () => {
    const tenant = await createTenant();
    const sharded = await createFederation(tenant, CLIENTS, policy(6));
    const whole = await createFederation(tenant, CLIENTS, policy());
    const inSharded = contributions(sharded.clients.map((c) => c.clientId));
    const inWhole = contributions(whole.clients.map((c) => c.clientId));

    const run = await runShardedRound(sharded, inSharded.of);
    expect(run.opened.shards!.map((s) => s.cohort.length)).toEqual([6, 6]);
    // Each shard has k and t for its own size (6 clients: the complete graph, t = 4) and its own round id.
    for (const { shard } of run.shards) {
      expect(shard.secureAggregation).toMatchObject({
        maxClients: 6,
        neighbourDegree: "complete",
        threshold: 4,
      });
      expect(shard.secureAggregation.roundId).toBe(`${sharded.federationId}/1/shard/${shard.shard}`);
    }
    expect(run.summary.outcome).toEqual({ kind: "published", version: 1 });
    expect(run.summary.stage).toBe("done");
    expect(run.summary.participants.maskedInput).toBe(CLIENTS);
    expect(run.summary.shards!.map((s) => s.outcome)).toEqual([
      { kind: "published", version: 1 },
      { kind: "published", version: 1 },
    ]);
    // Exactly the sum of the shards' decoded totals, finalised once.
    const shardSums = run.shards.map((s) => plainSum(s.survivors, s.shard.secureAggregation.scale));
    const summed = shardSums[0]!.map((v, i) => v + shardSums[1]![i]!);
    const published = meanAlgorithm.fromModelFile((await latestModel(sharded)).file);
    expect(published).toEqual(meanAlgorithm.finalise(inSharded.global, summed));

    // The same inputs in one unsharded round publish the same model, within the fixed-point bound.
    const unsharded = await runRound(whole, inWhole.of);
    expect(unsharded.summary.shards).toBeUndefined();
    expect(unsharded.summary.outcome).toEqual({ kind: "published", version: 1 });
    const reference = meanAlgorithm.fromModelFile((await latestModel(whole)).file);
    for (const key of ["count", "quality", "cost"] as const)
      for (const [j, value] of reference[key].entries()) expect(published[key][j]).toBeCloseTo(value, 5);

    // A member sees its own shard: the Round it talks to, its configuration and size.
    const member = run.shards[1]!.clients[0]!;
    const seen = await expectStatus(200, "GET", `/v1/federations/${sharded.federationId}/rounds/1`, {
      token: member.token,
    });
    expect(seen).toMatchObject({ inCohort: true, shard: 1, cohortSize: 6, stage: "done" });
    expect(seen.secureAggregation.roundId).toBe(`${sharded.federationId}/1/shard/1`);
    expect(seen.outcome).toEqual({ kind: "published", version: 1 });
    const usage = await expectStatus(200, "GET", `/v1/federations/${sharded.federationId}/usage`, {
      token: sharded.ownerToken,
    });
    expect(usage).toMatchObject({ roundsRun: 1, updatesAggregated: CLIENTS });
  });

  it("abort a shard below the floor without unmasking its members, and publish the others' sum", async () => {
    const tenant = await createTenant();
    const handle = await createFederation(tenant, CLIENTS, policy(6));
    const { global, of } = contributions(handle.clients.map((c) => c.clientId));
    const run = await runShardedRound(handle, of, twoSilentInShardZero);
    const [failed, finished] = run.shards;
    expect(run.summary.shards![0]!.outcome).toMatchObject({ kind: "aborted", code: "too_few_survivors" });
    // Nobody was asked to reveal anything of shard 0's members: not their self-mask seeds, not their keys.
    const members = new Set(failed!.shard.cohort);
    expect(run.unmaskRequests.length).toBeGreaterThan(0);
    for (const { clientId, request } of run.unmaskRequests) {
      expect(members.has(clientId)).toBe(false);
      const named = [...(request.survivors as string[]), ...(request.dropped as string[])];
      expect(named.filter((id) => members.has(id))).toEqual([]);
    }
    // The round goes on with shard 1 (6 inputs, at least minParticipants): its sum alone is published.
    expect(run.summary.outcome).toEqual({ kind: "published", version: 1 });
    expect(run.summary.participants.maskedInput).toBe(12);
    const published = meanAlgorithm.fromModelFile((await latestModel(handle)).file);
    const alone = plainSum(finished!.survivors, finished!.shard.secureAggregation.scale);
    expect(published).toEqual(meanAlgorithm.finalise(global, alone));
    const usage = await expectStatus(200, "GET", `/v1/federations/${handle.federationId}/usage`, {
      token: handle.ownerToken,
    });
    expect(usage).toMatchObject({ roundsRun: 1, updatesAggregated: 6 });
  });

  it("abort the round when the shards that finished hold fewer than minParticipants inputs", async () => {
    const tenant = await createTenant();
    const handle = await createFederation(tenant, CLIENTS, policy(6, 8));
    const { of } = contributions(handle.clients.map((c) => c.clientId));
    const run = await runShardedRound(handle, of, twoSilentInShardZero);
    expect(run.summary.outcome).toMatchObject({ kind: "aborted", code: "too_few_survivors" });
    expect(run.summary.stage).toBe("aborted");
    const federation = await expectStatus(200, "GET", `/v1/federations/${handle.federationId}`, {
      token: handle.ownerToken,
    });
    expect(federation).toMatchObject({ latestVersion: 0, currentRound: null });
  });

  it("stop every shard when the owner aborts the round", async () => {
    const tenant = await createTenant();
    const handle = await createFederation(tenant, CLIENTS, policy(6));
    const opened = await startRound(handle);
    const aborted = await expectStatus(
      200,
      "POST",
      `/v1/federations/${handle.federationId}/rounds/current/abort`,
      {
        token: handle.ownerToken,
      },
    );
    expect(aborted.outcome).toMatchObject({ kind: "aborted", code: "aborted_by_owner" });
    for (const { shard } of opened.shards!) {
      const described = await roundStub(handle.federationId, opened.round, shard).describe();
      expect(described.ok && described.value.stage).toBe("aborted");
    }
    const federation = await expectStatus(200, "GET", `/v1/federations/${handle.federationId}`, {
      token: handle.ownerToken,
    });
    expect(federation.currentRound).toBeNull();
    // A member still finds its shard in the ended round, and the round's outcome.
    const member = handle.clients.find((c) => opened.shards![1]!.cohort.includes(c.clientId))!;
    const seen = await expectStatus(
      200,
      "GET",
      `/v1/federations/${handle.federationId}/rounds/${opened.round}`,
      {
        token: member.token,
      },
    );
    expect(seen).toMatchObject({ shard: 1, inCohort: true, outcome: { code: "aborted_by_owner" } });
  });

  it("tell a member's own shard of its revocation, and refuse a member at another shard's routes", async () => {
    const tenant = await createTenant();
    const handle = await createFederation(tenant, CLIENTS, policy(6));
    const opened = await startRound(handle);
    const [zero, one] = opened.shards!;
    const tokenOf = (id: string) => handle.clients.find((c) => c.clientId === id)!.token;
    const base = `/v1/federations/${handle.federationId}/rounds/${opened.round}/shards`;
    // A member of shard 1 is not in shard 0's cohort.
    const elsewhere = await call("GET", `${base}/0/message`, { token: tokenOf(one!.cohort[0]!) });
    expect(elsewhere.status).toBe(403);
    const revoked = zero!.cohort[0]!;
    // Accepted first, so the shard has its secret in memory: the revocation must still reach it.
    await expectStatus(200, "GET", `${base}/0/message`, { token: tokenOf(revoked) });
    const forged = `${tokenOf(revoked).slice(0, -4)}AAAA`;
    expect((await call("GET", `${base}/0/message`, { token: forged })).status).toBe(401);
    await expectStatus(200, "DELETE", `/v1/federations/${handle.federationId}/clients/${revoked}`, {
      token: handle.ownerToken,
    });
    const refused = await call("GET", `${base}/0/message`, { token: tokenOf(revoked) });
    expect(refused.status).toBe(401);
    // Its shard's other members go on.
    await expectStatus(200, "GET", `${base}/0/message`, { token: tokenOf(zero!.cohort[1]!) });
  });

  it("refuse a shard size below the floors' smallest shard", async () => {
    const tenant = await createTenant();
    const config = federationConfig(policy(4));
    const reply = await call("POST", "/v1/federations", { token: tenant.ownerToken, json: config });
    expect(reply.status).toBe(422);
    expect(reply.body.error.message).toContain("shardSize 4");
  });
});
