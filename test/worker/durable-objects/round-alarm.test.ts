// A stage that closes because every client answered hands the alarm to the next stage's deadline,
// even when that deadline is earlier than the one the alarm was set for.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createFederation, createTenant } from "../support/api.ts";
import { cohortClients, roundStub, startRound } from "../support/rounds.ts";

describe("round alarm", () => {
  it("points at the masked_input deadline once share_keys closes early", async () => {
    const handle = await createFederation(await createTenant(), 5, {
      roundPolicy: {
        cohortSize: 5,
        minParticipants: 5,
        participationFraction: 1,
        deadlines: { advertiseKeys: 600, shareKeys: 600, maskedInput: 5, unmask: 600 },
      },
      secureAggregation: { threshold: 3, neighbourDegree: "complete", curve: "X25519" },
    });
    const opened = await startRound(handle);
    const clients = cohortClients(handle, opened);
    for (const c of clients) expect((await c.advertise(opened.secureAggregation)).status).toBe(200);
    for (const c of clients) expect((await c.shareKeys()).status).toBe(200);
    const closedAt = Date.now();
    const alarm = await runInDurableObject(roundStub(handle.federationId, opened.round), (_instance, state) =>
      state.storage.getAlarm(),
    );
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual(closedAt + 5_000);
    expect(alarm!).toBeGreaterThan(closedAt + 3_000);
  });
});
