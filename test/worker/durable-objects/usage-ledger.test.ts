// The usage ledger bills exactly what the rounds used: a round reserves its cohort against the
// tenant's daily quota when it opens and is charged only the updates it aggregated when it ends
// (aborted rounds and rounds that never opened give everything back), and models served count only
// the versions sent in full, never a 304 revalidation.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../core/random.ts";
import type { RoundSummary } from "../../../core/wire/rounds.ts";
import { seededEvaluationSet } from "../../support/evaluation-sets.ts";
import { meanAlgorithm, meanKind } from "../../support/mean-kind.ts";
import { call, createFederation, createTenant, expectStatus, type FederationHandle } from "../support/api.ts";
import { patchEnv, withMethods } from "../support/faults.ts";
import { evaluationShape, kindSetup } from "../support/federation-config.ts";
import { type DropPoint, passDeadline, roundStub, runRound, startRound } from "../support/rounds.ts";
import { SimClient } from "../support/sim-client.ts";

const contribution = (id: string) => {
  const random = seededRandom(id.charCodeAt(6) * 31 + id.charCodeAt(9));
  const set = seededEvaluationSet(random, evaluationShape(2));
  return meanAlgorithm.contribute(meanKind.initialState(kindSetup()), set, random) as Float64Array;
};

/** The first two openings fail: the Round cannot be reached, then it refuses. */
async function failNextTwoOpenings(handle: FederationHandle) {
  let openings = 0;
  await patchEnv(env.FEDERATIONS.getByName(handle.federationId), (real) => ({
    ROUNDS: withMethods(real.ROUNDS, {
      getByName: (getByName) => (name: string) =>
        withMethods(getByName(name as never) as unknown as object, {
          open:
            (open) =>
            async (...args: never[]) => {
              openings++;
              if (openings === 1) throw new Error("the Round could not be reached");
              if (openings === 2)
                return { ok: false, code: "internal", message: "the Round refused to open" };
              return open(...args);
            },
        }),
    }),
  }));
}

/** Bytes the Round accepted from clients, as it stores them. */
async function roundBytes(handle: FederationHandle, round: number): Promise<number> {
  return runInDurableObject(
    roundStub(handle.federationId, round),
    (_instance, state) => state.storage.sql.exec("SELECT bytes FROM ingested").one().bytes as number,
  );
}

describe("the usage ledger", () => {
  it("equals the sum of the rounds' usage over published, aborted and failed rounds and served models", async () => {
    // Six clients: one may drop and the round still keeps the platform's minimum of five survivors.
    const handle = await createFederation(await createTenant(), 6);
    const ids = handle.clients.map((c) => c.clientId);
    const owner = { token: handle.ownerToken };
    const base = `/v1/federations/${handle.federationId}`;

    // Published with everyone, then with a client that stops after sharing keys.
    expect((await runRound(handle, contribution)).summary.outcome?.kind).toBe("published");
    const dropped = new Map<string, DropPoint>([[ids[2]!, "share_keys"]]);
    expect((await runRound(handle, contribution, dropped, 2)).summary.outcome?.kind).toBe("published");
    // Aborted at its deadline: nobody advertised keys.
    const silent = await startRound(handle);
    await passDeadline(handle.federationId, silent.round);
    // Two openings that fail before any client could take part.
    await failNextTwoOpenings(handle);
    expect((await call("POST", `${base}/rounds`, owner)).status).toBe(500);
    expect((await call("POST", `${base}/rounds`, owner)).status).toBe(500);
    // Aborted by the owner after every client advertised its keys.
    const stopped = await startRound(handle);
    for (const id of stopped.cohort) {
      const client = new SimClient(
        handle.federationId,
        stopped.round,
        handle.clients.find((c) => c.clientId === id)!,
      );
      expect((await client.advertise(stopped.secureAggregation)).status).toBe(200);
    }
    await expectStatus(200, "POST", `${base}/rounds/current/abort`, owner);
    // Published with a client that stops after its masked input (its update is still summed).
    const late = new Map<string, DropPoint>([[ids[4]!, "masked_input"]]);
    expect((await runRound(handle, contribution, late, 3)).summary.outcome?.kind).toBe("published");

    // Models: versions sent in full, and revalidations of a version the client holds.
    let sent = 0;
    for (const [version, token] of [
      [0, handle.clients[0]!.token],
      [0, handle.clients[1]!.token],
      [3, handle.ownerToken],
    ] as const) {
      const reply = await call("GET", `${base}/models/${version}`, { token });
      expect(reply.status).toBe(200);
      sent++;
      const etag = reply.headers.get("etag")!;
      const revalidated = await call("GET", `${base}/models/${version}`, {
        token,
        headers: { "if-none-match": etag },
      });
      expect(revalidated.status).toBe(304);
    }

    const rounds: RoundSummary[] = await expectStatus(200, "GET", `${base}/rounds`, owner);
    const published = rounds.filter((r) => r.outcome?.kind === "published");
    const aborted = rounds.filter((r) => r.outcome?.kind === "aborted");
    expect([published.length, aborted.length, rounds.length]).toEqual([3, 2, 5]);
    const updates = published.reduce((sum, r) => sum + r.participants.maskedInput, 0);
    expect(updates).toBe(6 + 5 + 6);
    let bytes = 0;
    for (const r of rounds) bytes += await roundBytes(handle, r.round);

    const usage = await expectStatus(200, "GET", `${base}/usage`, owner);
    expect(usage).toEqual({
      roundsRun: published.length,
      roundsAborted: aborted.length,
      updatesAggregated: updates,
      bytesIngested: bytes,
      modelsServed: sent,
    });
    // The tenant's quota holds what the rounds aggregated, no more: no reservation is left over.
    const tenant = await expectStatus(200, "GET", "/v1/tenant", owner);
    expect(tenant.updatesToday).toBe(updates);
  });
});
