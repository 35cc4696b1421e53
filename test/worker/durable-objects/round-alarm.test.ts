// A stage that closes because every client answered hands the alarm to the next stage's deadline,
// even when that deadline is earlier than the one the alarm was set for. An alarm that never fires
// (seen under wrangler dev at 1000 clients) is made up by the cohort's next request.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createFederation, createTenant } from "../support/api.ts";
import { cohortClients, roundStub, roundSummary, startRound } from "../support/rounds.ts";

/** A round of five clients (t = 3) with these stage deadlines, opened, every client's keys advertised. */
async function advertisedRound(maskedInput: number) {
  const handle = await createFederation(await createTenant(), 5, {
    roundPolicy: {
      cohortSize: 5,
      minParticipants: 5,
      participationFraction: 1,
      deadlines: { advertiseKeys: 600, shareKeys: 600, maskedInput, unmask: 600 },
    },
    secureAggregation: { threshold: 3, neighbourDegree: "complete", curve: "X25519" },
  });
  const opened = await startRound(handle);
  const clients = cohortClients(handle, opened);
  for (const c of clients) expect((await c.advertise(opened.secureAggregation)).status).toBe(200);
  return { handle, opened, clients, stub: roundStub(handle.federationId, opened.round) };
}

describe("round alarm", () => {
  it("points at the masked_input deadline once share_keys closes early", async () => {
    const { stub, clients } = await advertisedRound(5);
    for (const c of clients) expect((await c.shareKeys()).status).toBe(200);
    const closedAt = Date.now();
    const alarm = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual(closedAt + 5_000);
    expect(alarm!).toBeGreaterThan(closedAt + 3_000);
  });
});

describe("a lost alarm", () => {
  it("is made up by the next client request once its deadline is overdue", async () => {
    const { handle, opened, clients, stub } = await advertisedRound(600);
    expect((await roundSummary(handle, opened.round)).stage).toBe("share_keys");
    // share_keys' deadline passed a minute ago and its alarm was lost.
    await runInDurableObject(stub, async (_instance, state) => {
      state.storage.sql.exec("UPDATE deadlines SET at = ?", Date.now() - 60_000);
      await state.storage.deleteAlarm();
    });
    // Still open until somebody asks: nothing else would close it.
    expect((await roundSummary(handle, opened.round)).stage).toBe("share_keys");
    await clients[0]!.message();
    // Nobody sent share_keys, so closing the stage aborts the round (too few survivors).
    const after = await roundSummary(handle, opened.round);
    expect(after.stage).not.toBe("share_keys");
    expect(after.outcome?.kind).toBe("aborted");
  });

  it("is left to the alarm while its deadline is only just past", async () => {
    const { handle, opened, clients, stub } = await advertisedRound(600);
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE deadlines SET at = ?", Date.now() - 1_000);
    });
    await clients[0]!.message();
    expect((await roundSummary(handle, opened.round)).stage).toBe("share_keys");
  });
});
