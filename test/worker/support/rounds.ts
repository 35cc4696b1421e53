// Drives whole rounds over HTTP: every cohort client runs the protocol, some stop at a chosen stage,
// and deadlines are made to pass deterministically (rewrite the deadline, then run the alarm).
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { decodeModelFile } from "../../../core/model-file.ts";
import { roundObjectName } from "../../../core/wire/ids.ts";
import type { RoundSummary } from "../../../core/wire/rounds.ts";
import { expectStatus, type FederationHandle } from "./api.ts";
import { decode, sumEncoded } from "./secagg.ts";
import { type CraftedInput, SimClient } from "./sim-client.ts";

/** The last stage a client completes before it vanishes ("none": it never answers). */
export type DropPoint = "none" | "advertise_keys" | "share_keys" | "masked_input" | "consistency_check";
const DROP_ORDER: DropPoint[] = ["none", "advertise_keys", "share_keys", "masked_input", "consistency_check"];

export function roundStub(federationId: string, round: number, shard?: number) {
  return env.ROUNDS.getByName(roundObjectName(federationId, round, shard));
}

/** Makes the current stage's deadline pass now and runs the round's (or shard's) alarm. */
export async function passDeadline(federationId: string, round: number, shard?: number): Promise<void> {
  const stub = roundStub(federationId, round, shard);
  await runInDurableObject(stub, (_instance, state) => {
    state.storage.sql.exec("UPDATE deadlines SET at = 0");
  });
  await runDurableObjectAlarm(stub);
}

export async function roundSummary(handle: FederationHandle, round: number): Promise<RoundSummary> {
  return expectStatus(200, "GET", `/v1/federations/${handle.federationId}/rounds/${round}`, {
    token: handle.ownerToken,
  });
}

export async function startRound(handle: FederationHandle): Promise<RoundSummary> {
  return expectStatus(201, "POST", `/v1/federations/${handle.federationId}/rounds`, {
    token: handle.ownerToken,
  });
}

/** A simulated client for each member of an opened round's cohort, in the cohort's order. */
export function cohortClients(handle: FederationHandle, opened: RoundSummary): SimClient[] {
  const byId = new Map(handle.clients.map((c) => [c.clientId, c]));
  return opened.cohort.map((id) => new SimClient(handle.federationId, opened.round, byId.get(id)!));
}

export interface RoundRun {
  summary: RoundSummary;
  clients: SimClient[];
  survivors: SimClient[];
}

/**
 * Runs one round: cohort clients take part, those in `drops` stop after their drop point, and a
 * stage whose clients did not all answer closes at its (forced) deadline.
 */
export async function runRound(
  handle: FederationHandle,
  contributionOf: (clientId: string) => Float64Array | CraftedInput,
  drops: ReadonlyMap<string, DropPoint> = new Map(),
  seed = 1,
  /** Called after every accepted client message (e.g. to evict the Round object). */
  afterMessage: (stage: string, round: number) => Promise<void> = async () => {},
): Promise<RoundRun> {
  const opened = await startRound(handle);
  const round = opened.round;
  const tokens = new Map(handle.clients.map((c) => [c.clientId, c]));
  const clients = opened.cohort.map((id) => new SimClient(handle.federationId, round, tokens.get(id)!));
  const reaches = (client: SimClient, stage: DropPoint) => {
    const drop = drops.get(client.clientId);
    return drop === undefined || DROP_ORDER.indexOf(drop) >= DROP_ORDER.indexOf(stage);
  };
  const stageStep = async (
    stage: DropPoint,
    act: (client: SimClient, i: number) => Promise<{ status: number }>,
  ) => {
    const acting = clients.filter((c) => reaches(c, stage));
    for (const [i, client] of acting.entries()) {
      const reply = await act(client, i);
      if (reply.status !== 200)
        throw new Error(`${stage} of ${client.clientId}: ${reply.status} ${JSON.stringify(reply)}`);
      await afterMessage(stage, round);
    }
    if (acting.length < clients.filter((c) => reaches(c, previous(stage))).length)
      await passDeadline(handle.federationId, round);
  };
  await stageStep("advertise_keys", (c) => c.advertise(opened.secureAggregation));
  let summary = await roundSummary(handle, round);
  if (summary.stage !== "aborted") {
    await stageStep("share_keys", (c) => c.shareKeys());
    summary = await roundSummary(handle, round);
  }
  if (summary.stage !== "aborted") {
    await stageStep("masked_input", (c) =>
      c.maskedInput(contributionOf(c.clientId), seed * 1000 + clients.indexOf(c)),
    );
    summary = await roundSummary(handle, round);
  }
  const survivors = clients.filter((c) => reaches(c, "masked_input"));
  // Clients that stop after their masked input are still in the sum; their neighbours unmask them.
  if (summary.stage !== "aborted") {
    await stageStep("consistency_check", (c) => c.consistencyCheck());
    summary = await roundSummary(handle, round);
  }
  if (summary.stage !== "aborted") {
    // Unmask is the last stage: only clients that never drop answer it.
    const answering = clients.filter((c) => !drops.has(c.clientId));
    for (const client of answering) {
      // The stage closes as soon as it holds t shares of every secret: the rest need not answer.
      if ((await roundSummary(handle, round)).stage !== "unmask") break;
      const reply = await client.unmask();
      if (reply.status !== 200) throw new Error(`unmask: ${reply.status} ${JSON.stringify(reply.body)}`);
      await afterMessage("unmask", round);
    }
    if (answering.length < clients.filter((c) => reaches(c, "consistency_check")).length)
      await passDeadline(handle.federationId, round);
    summary = await roundSummary(handle, round);
  }
  return { summary, clients, survivors };
}

function previous(stage: DropPoint): DropPoint {
  return DROP_ORDER[Math.max(0, DROP_ORDER.indexOf(stage) - 1)]!;
}

/** The plain (no secure aggregation) decoded sum of the survivors' encoded contributions. */
export function plainSum(survivors: readonly SimClient[], scale: number): Float64Array {
  const length = survivors[0]!.encoded!.length;
  return decode(
    sumEncoded(
      survivors.map((s) => s.encoded!),
      length,
    ),
    scale,
  ).weightedSum;
}

export async function latestModel(handle: FederationHandle, token = handle.ownerToken) {
  const pointer = await expectStatus(200, "GET", `/v1/federations/${handle.federationId}/models/latest`, {
    token,
  });
  const bytes = await expectStatus<Uint8Array>(200, "GET", pointer.url, { token });
  return { pointer, file: decodeModelFile(bytes), bytes };
}
