// The tenant's daily quota as a ledger of round reservations: settling charges a round what it used
// and gives the rest back to the day it was reserved on; repeating either changes nothing.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createTenant } from "../support/api.ts";

const DAY_MS = 24 * 3600 * 1000;

async function updatesByDay(tenantId: string): Promise<Record<string, number>> {
  return runInDurableObject(env.TENANTS.getByName(tenantId), (_instance, state) =>
    Object.fromEntries(
      state.storage.sql
        .exec<{ day: string; updates: number }>("SELECT day, updates FROM updates_by_day")
        .toArray()
        .map((r) => [r.day, r.updates]),
    ),
  );
}

describe("the tenant's update quota", () => {
  it("charges a round what it used on the day it reserved, and gives back the rest", async () => {
    const { tenantId } = await createTenant("ledger", 10);
    const tenant = env.TENANTS.getByName(tenantId);
    const yesterday = Date.now() - DAY_MS;
    const day = new Date(yesterday).toISOString().slice(0, 10);
    const round = { federationId: "fed_00000000000000aa", round: 1 };
    expect(await tenant.reserveUpdates(round, 6, yesterday)).toEqual({ ok: true, value: { remaining: 4 } });
    expect(await tenant.settleUpdates(round, 4)).toEqual({ ok: true, value: null });
    // Again (a repeated report), and never more than was reserved.
    await tenant.settleUpdates(round, 4);
    expect(await updatesByDay(tenantId)).toEqual({ [day]: 4 });
    await tenant.settleUpdates(round, 99);
    expect(await updatesByDay(tenantId)).toEqual({ [day]: 6 });
    // A round first taken, then refused, ends up charged nothing.
    await tenant.settleUpdates(round, 0);
    expect(await updatesByDay(tenantId)).toEqual({ [day]: 0 });
    const today = await tenant.describe();
    expect(today.ok && today.value.updatesToday).toBe(0);
  });

  it("reserves a round that opens again only once, and leaves its reservation when the quota refuses", async () => {
    const { tenantId } = await createTenant("ledger", 10);
    const tenant = env.TENANTS.getByName(tenantId);
    const round = { federationId: "fed_00000000000000bb", round: 3 };
    await tenant.reserveUpdates(round, 6);
    expect(await tenant.reserveUpdates(round, 6)).toEqual({ ok: true, value: { remaining: 4 } });
    const other = { federationId: "fed_00000000000000bb", round: 4 };
    const refused = await tenant.reserveUpdates(other, 5);
    expect(refused).toMatchObject({ ok: false, code: "quota_exceeded" });
    expect(await tenant.reserveUpdates(round, 11)).toMatchObject({ ok: false, code: "quota_exceeded" });
    const described = await tenant.describe();
    expect(described.ok && described.value.updatesToday).toBe(6);
  });
});
