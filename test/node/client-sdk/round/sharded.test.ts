// participate() in a sharded round, unchanged for the app: the round view names the client's shard,
// and the SDK talks to that shard's Round, checks the shard against its floors and waits for the
// round's one published version.
import { describe, expect, it } from "vitest";
import type { RoundSummary } from "../../../../core/wire/rounds.ts";
import { federationOnEdge, SMALL_KMEANS } from "../support/edge.ts";
import { fixture, recordRows } from "../support/fixture.ts";

const CLIENTS = 10;
const data = fixture(CLIENTS);

describe("participate in a sharded round", () => {
  it("finds its shard, talks only to it, and gets the round's published version", async () => {
    const federation = await federationOnEdge(data, {
      ...SMALL_KMEANS,
      clients: CLIENTS,
      shardSize: 5,
      // Unsharded rounds of 10 would run on a 4-regular graph with t = 3; shards choose their own.
      secureAggregation: { threshold: 3, neighbourDegree: 4 },
    });
    const clients = await Promise.all(
      data.rows.map(async (_, c) => {
        const { client, log } = federation.client(c);
        await recordRows(client, data, c);
        return { client, log };
      }),
    );
    const round = await federation.openRound();
    expect(round.shards?.map((s) => s.cohort.length)).toEqual([5, 5]);
    const results = await Promise.all(
      clients.map(({ client }) => client.participate({ round: round.round })),
    );
    for (const result of results) expect(result.outcome).toEqual({ kind: "published", version: 1 });
    for (const [c, { client, log }] of clients.entries()) {
      const shard = round.shards!.find((s) => s.cohort.includes(client.clientId))!.shard;
      const protocol = log.requests.filter((r) =>
        /\/rounds\/1\/(shards\/\d+\/)?(message|[a-z]+-[a-z-]+)$/.test(r.path),
      );
      // Its four messages before unmask at least (its unmask answer is not needed once the shard
      // holds t shares of every secret; each next message comes with a receipt, or from a poll).
      expect(protocol.length, `client ${c}`).toBeGreaterThanOrEqual(4);
      for (const request of protocol) expect(request.path).toContain(`/rounds/1/shards/${shard}/`);
    }
    const summary = await federation.owner.request<RoundSummary>(
      "GET",
      `/v1/federations/${federation.federationId}/rounds/1`,
      federation.ownerToken,
    );
    expect(summary.participants.maskedInput).toBe(CLIENTS);
    expect((await federation.latest()).version).toBe(1);
  });
});
