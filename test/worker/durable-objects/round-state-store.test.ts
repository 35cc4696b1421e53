// A Round stores its protocol state by parts and its sealed shares as rows, so a client's message
// writes what it brings and not the round's whole state: what one message writes does not grow
// with the cohort, and larger cohorts still sum exactly.
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../core/random.ts";
import { seededEvaluationSet } from "../../support/evaluation-sets.ts";
import { meanAlgorithm, meanKind } from "../../support/mean-kind.ts";
import { createFederation, createTenant, federationConfig, lastRequestBody } from "../support/api.ts";
import { evaluationShape, kindSetup } from "../support/federation-config.ts";
import { type DropPoint, latestModel, plainSum, roundStub, runRound } from "../support/rounds.ts";

type Stage = "advertise_keys" | "share_keys" | "masked_input" | "consistency_check" | "unmask";

/** A client's contribution: the toy kind's sums over a seeded evaluation set (three per model, two models). */
const contribution = (id: string) => {
  const random = seededRandom(id.charCodeAt(6) * 31 + id.charCodeAt(7));
  const set = seededEvaluationSet(random, evaluationShape(2));
  return meanAlgorithm.contribute(meanKind.initialState(kindSetup()), set, random) as Float64Array;
};

function sizeOf(value: unknown): number {
  if (typeof value === "string") return value.length;
  if (value instanceof ArrayBuffer) return value.byteLength;
  return value === null ? 0 : 8;
}

/** A federation of `clients` clients whose rounds give each client `degree` neighbours. */
async function federationOf(clients: number, degree: number) {
  const config = federationConfig({
    roundPolicy: { ...federationConfig().roundPolicy, cohortSize: clients },
    secureAggregation: { threshold: degree / 2 + 1, neighbourDegree: degree, curve: "X25519" },
  });
  return createFederation(await createTenant(), clients, config);
}

/**
 * Runs a round over `clients` clients with `degree` neighbours each and returns, per stage, what each
 * message that did not close its stage wrote (bytes bound into INSERT and UPDATE statements) beside
 * its own size (the request's body).
 */
async function measuredRound(clients: number, degree: number) {
  const handle = await federationOf(clients, degree);
  const tally = { written: 0 };
  const messages: { stage: Stage; written: number; size: number }[] = [];
  let metered = false;
  const run = await runRound(handle, contribution, new Map(), 1, async (stage, round) => {
    if (metered)
      messages.push({ stage: stage as Stage, written: tally.written, size: lastRequestBody.bytes });
    else
      await runInDurableObject(roundStub(handle.federationId, round), (_instance, state) => {
        // From the first message on, count what every statement that writes binds.
        const sql = state.storage.sql;
        const exec = sql.exec.bind(sql);
        sql.exec = ((query: string, ...bindings: SqlStorageValue[]) => {
          if (/^\s*(INSERT|UPDATE)/i.test(query))
            tally.written += bindings.reduce<number>((sum, value) => sum + sizeOf(value), 0);
          return exec(query, ...bindings);
        }) as typeof sql.exec;
        metered = true;
      });
    tally.written = 0;
  });
  // The last message of each stage also closes it (and writes the next stage's start): left out.
  const perStage = new Map<Stage, { written: number; size: number }[]>();
  for (const m of messages) perStage.set(m.stage, [...(perStage.get(m.stage) ?? []), m]);
  for (const [stage, list] of perStage) perStage.set(stage, list.slice(0, -1));
  return { run, perStage };
}

describe("the Round's storage", () => {
  it("writes for each message what the message brings, not the round's state, at any cohort size", async () => {
    const small = await measuredRound(6, 4);
    const large = await measuredRound(24, 4);
    for (const { run } of [small, large]) {
      expect(run.summary.outcome).toEqual({ kind: "published", version: 1 });
      expect(run.summary.stage).toBe("done");
    }
    for (const stage of [
      "advertise_keys",
      "share_keys",
      "masked_input",
      "consistency_check",
      "unmask",
    ] as const) {
      const smallMessages = small.perStage.get(stage)!;
      const largeMessages = large.perStage.get(stage)!;
      expect(largeMessages.length).toBeGreaterThan(10);
      // A message writes its own bytes and its digest's row, and the one that brings a stage to
      // its quorum also the stage's moved deadline (one row): never the cohort's records.
      for (const { written, size } of [...smallMessages, ...largeMessages])
        expect(written).toBeLessThanOrEqual(size + 400 + 32);
      const most = (list: { written: number }[]) => Math.max(...list.map((m) => m.written));
      // (A cohort of 6 reaches its quorum only with its last answer, 24 before it: the moved
      // deadline's row is the difference allowed beyond the 16 bytes of longer ids.)
      expect(most(largeMessages)).toBeLessThanOrEqual(most(smallMessages) + 16 + 32);
    }
  });

  it("keeps one row per sealed share, k per client, until the masked inputs are in", async () => {
    const handle = await federationOf(12, 4);
    const rows = new Map<string, number>();
    const run = await runRound(handle, contribution, new Map(), 1, async (stage, round) => {
      const count = await runInDurableObject(roundStub(handle.federationId, round), (_instance, state) =>
        state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM secagg_mailbox").one(),
      );
      rows.set(stage, Math.max(rows.get(stage) ?? 0, count.n));
    });
    expect(run.summary.outcome).toEqual({ kind: "published", version: 1 });
    expect(rows.get("share_keys")).toBe(12 * 4);
    // Closing masked_input empties the mailbox: the unmask stage starts with no share left.
    expect(rows.get("unmask")).toBe(0);
  });

  it("sums a larger cohort exactly, with clients dropping at every stage", async () => {
    const clients = 40;
    const config = federationConfig({
      roundPolicy: { ...federationConfig().roundPolicy, cohortSize: clients, minParticipants: 30 },
      secureAggregation: { threshold: 5, neighbourDegree: 8, curve: "X25519" },
    });
    const handle = await createFederation(await createTenant(), clients, config);
    const drops = new Map<string, DropPoint>([
      [handle.clients[3]!.clientId, "advertise_keys"],
      [handle.clients[11]!.clientId, "share_keys"],
      [handle.clients[27]!.clientId, "masked_input"],
    ]);
    const run = await runRound(handle, contribution, drops, 2);
    expect(run.summary.outcome).toEqual({ kind: "published", version: 1 });
    expect(run.survivors).toHaveLength(clients - 2);
    const expected = plainSum(run.survivors, run.summary.secureAggregation.scale);
    const shares = await runInDurableObject(roundStub(handle.federationId, 1), (_instance, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM secagg_mailbox").one(),
    );
    expect(shares.n).toBe(0);
    // The federation finalised the toy kind from the unmasked total: its counts are the sum's.
    const published = await latestModel(handle);
    const counts = Array.from(published.file.tensors.count!);
    expect(counts).toEqual([expected[0], expected[3]]);
  });

  it("resumes a round whose state was stored whole, as before the split, with its sealed shares", async () => {
    const handle = await federationOf(8, 4);
    let rewritten = false;
    const run = await runRound(handle, contribution, new Map(), 3, async (stage, round) => {
      if (rewritten || stage !== "masked_input") return;
      rewritten = true;
      const stub = roundStub(handle.federationId, round);
      // Write the state as one JSON value with its mailbox inside, then drop the rows.
      await runInDurableObject(stub, (_instance, state) => {
        const sql = state.storage.sql;
        const rows = <T>(query: string) => sql.exec(query).toArray() as T[];
        const legacy = {
          ...JSON.parse(rows<{ json: string }>("SELECT json FROM secagg_round")[0]!.json),
          version: 1,
          clients: {} as Record<string, { received: Record<string, string> }>,
          mailbox: {} as Record<string, Record<string, string>>,
          revealed: {},
        };
        for (const c of rows<{ client_id: string; json: string }>(
          "SELECT client_id, json FROM secagg_clients",
        ))
          legacy.clients[c.client_id] = { ...JSON.parse(c.json), received: {} };
        for (const r of rows<{ client_id: string; stage: string; digest: string }>(
          "SELECT client_id, stage, digest FROM secagg_received",
        ))
          legacy.clients[r.client_id]!.received[r.stage] = r.digest;
        for (const m of rows<{ recipient: string; sender: string; ciphertext: string }>(
          "SELECT recipient, sender, ciphertext FROM secagg_mailbox",
        )) {
          legacy.mailbox[m.recipient] ??= {};
          legacy.mailbox[m.recipient]![m.sender] = m.ciphertext;
        }
        for (const table of ["secagg_round", "secagg_clients", "secagg_received", "secagg_mailbox"])
          sql.exec(`DELETE FROM ${table}`);
        sql.exec("INSERT INTO secagg_state (part, json) VALUES (0, ?)", JSON.stringify(legacy));
      });
      await evictDurableObject(stub);
    });
    expect(rewritten).toBe(true);
    expect(run.summary.outcome).toEqual({ kind: "published", version: 1 });
    const published = await latestModel(handle);
    const expected = plainSum(run.survivors, run.summary.secureAggregation.scale);
    expect(Array.from(published.file.tensors.count!)).toEqual([expected[0], expected[3]]);
    const left = await runInDurableObject(roundStub(handle.federationId, 1), (_instance, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM secagg_state").one(),
    );
    expect(left.n).toBe(0);
  });
});
