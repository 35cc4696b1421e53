// Drives a sharded round over HTTP: each shard in turn runs the protocol among its own members,
// through the shard's routes, with some clients stopping at a chosen stage and a stage whose
// clients did not all answer closed at its (forced) deadline. Every message a client receives is
// kept, so a test can check what the edge asked of whom.
import type { RoundShard, RoundSummary } from "../../../core/wire/rounds.ts";
import type { FederationHandle } from "./api.ts";
import { type DropPoint, passDeadline, roundStub, roundSummary, startRound } from "./rounds.ts";
import { SimClient } from "./sim-client.ts";

const ORDER: DropPoint[] = ["none", "advertise_keys", "share_keys", "masked_input", "consistency_check"];

export interface ShardedRun {
  /** The round as the owner sees it once every shard ran. */
  summary: RoundSummary;
  opened: RoundSummary;
  /** Per shard: its clients and those whose masked input its sum holds (if it finished). */
  shards: { shard: RoundShard; clients: SimClient[]; survivors: SimClient[] }[];
  /** Every unmask request a client received, with the client it went to. */
  unmaskRequests: { clientId: string; request: Record<string, unknown> }[];
}

async function shardStage(handle: FederationHandle, round: number, shard: number): Promise<string> {
  const described = await roundStub(handle.federationId, round, shard).describe();
  if (!described.ok) throw new Error(described.message);
  return described.value.stage;
}

/** Opens the next round (it must be sharded) and runs every shard, shard 0 first. */
export async function runShardedRound(
  handle: FederationHandle,
  contributionOf: (clientId: string) => Float64Array,
  /** Which of a shard's members stop, and after which stage (its cohort is known once it opened). */
  dropsOf: (shard: RoundShard) => ReadonlyMap<string, DropPoint> = () => new Map(),
  seed = 1,
): Promise<ShardedRun> {
  const opened = await startRound(handle);
  if (!opened.shards) throw new Error(`round ${opened.round} is not sharded`);
  const round = opened.round;
  const tokens = new Map(handle.clients.map((c) => [c.clientId, c]));
  const drops = new Map(opened.shards.flatMap((shard) => [...dropsOf(shard)]));
  const reaches = (client: SimClient, stage: DropPoint) => {
    const drop = drops.get(client.clientId);
    return drop === undefined || ORDER.indexOf(drop) >= ORDER.indexOf(stage);
  };
  const unmaskRequests: ShardedRun["unmaskRequests"] = [];
  const shards: ShardedRun["shards"] = [];
  for (const shard of opened.shards) {
    const clients = shard.cohort.map(
      (id) => new SimClient(handle.federationId, round, tokens.get(id)!, shard.shard),
    );
    const live = () => shardStage(handle, round, shard.shard);
    const step = async (
      stage: DropPoint,
      act: (client: SimClient, i: number) => Promise<{ status: number }>,
    ) => {
      if ((await live()) === "aborted") return;
      const acting = clients.filter((c) => reaches(c, stage));
      for (const [i, client] of acting.entries()) {
        const reply = await act(client, i);
        if (reply.status !== 200) throw new Error(`${stage} of ${client.clientId}: ${JSON.stringify(reply)}`);
      }
      const before = ORDER[ORDER.indexOf(stage) - 1]!;
      if (acting.length < clients.filter((c) => reaches(c, before)).length)
        await passDeadline(handle.federationId, round, shard.shard);
    };
    await step("advertise_keys", (c) => c.advertise(shard.secureAggregation));
    await step("share_keys", (c) => c.shareKeys());
    await step("masked_input", (c) =>
      c.maskedInput(contributionOf(c.clientId), seed * 1000 + clients.indexOf(c)),
    );
    await step("consistency_check", (c) => c.consistencyCheck());
    const survivors = clients.filter((c) => reaches(c, "masked_input"));
    if ((await live()) === "unmask") {
      const answering = clients.filter((c) => !drops.has(c.clientId));
      for (const client of answering) {
        if ((await live()) !== "unmask") break;
        const request = await client.message();
        unmaskRequests.push({ clientId: client.clientId, request });
        const reply = await client.unmask();
        if (reply.status !== 200) throw new Error(`unmask: ${JSON.stringify(reply.body)}`);
      }
      if ((await live()) === "unmask") await passDeadline(handle.federationId, round, shard.shard);
    }
    // What every client of an aborted shard is told when it polls.
    if ((await live()) === "aborted")
      for (const client of clients) {
        const message = await client.message();
        if (message.type === "unmask_request")
          unmaskRequests.push({ clientId: client.clientId, request: message });
      }
    shards.push({ shard, clients, survivors });
  }
  return { summary: await roundSummary(handle, round), opened, shards, unmaskRequests };
}
