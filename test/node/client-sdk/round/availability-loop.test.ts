// client.start()'s loop offers the client only once the federation's declared terms are read and
// accepted: a client that would refuse them never checks in, and keeps saying why.
import { describe, expect, it } from "vitest";
import type { EdgeApi } from "../../../../client-sdk/src/edge.ts";
import { FedRouterError } from "../../../../client-sdk/src/errors.ts";
import { AvailabilityLoop } from "../../../../client-sdk/src/round/availability-loop.ts";
import { MemoryStore } from "../../../../client-sdk/src/store/store.ts";
import type { CheckInReceipt } from "../../../../core/wire/schedule.ts";

/** An edge that records check-ins and never invites: each receipt says to check in again at once. */
function recordingEdge() {
  const checkIns: number[] = [];
  const edge = {
    async checkIn(bucket: number): Promise<CheckInReceipt> {
      checkIns.push(bucket);
      return { expiresAt: new Date().toISOString(), checkInAfterSeconds: 0, invitedTo: null };
    },
  } as unknown as EdgeApi;
  return { edge, checkIns };
}

const until = async (holds: () => boolean) => {
  for (let i = 0; i < 200 && !holds(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(holds()).toBe(true);
};

describe("the availability loop", () => {
  it("never checks in while the federation's terms are refused, and says why each time", async () => {
    const { edge, checkIns } = recordingEdge();
    const refusal = new FedRouterError("unsafe_round", "declares epsilon 8, pinned at most 4");
    let reads = 0;
    const loop = new AvailabilityLoop({
      edge,
      store: new MemoryStore(),
      longPollMs: 0,
      ready: async () => {
        reads++;
        throw refusal;
      },
      participate: () => Promise.reject(new Error("never invited")),
    });
    const errors: unknown[] = [];
    loop.start({ pollIntervalMs: 1, maxBackoffMs: 2, onError: (e) => errors.push(e) });
    await until(() => errors.length >= 3);
    await loop.stop();
    expect(checkIns).toEqual([]);
    expect(reads).toBeGreaterThanOrEqual(3);
    expect(errors.every((e) => e === refusal)).toBe(true);
  });

  it("checks in once the terms are read, and reads them before its first check-in", async () => {
    const { edge, checkIns } = recordingEdge();
    const order: string[] = [];
    let terms: Promise<void> | undefined;
    const loop = new AvailabilityLoop({
      edge: {
        checkIn: (bucket: number) => {
          order.push("check-in");
          return edge.checkIn(bucket);
        },
      } as unknown as EdgeApi,
      store: new MemoryStore(),
      longPollMs: 0,
      ready: () => {
        // Read once and held, as the client holds its declared budget.
        terms ??= new Promise<void>((resolve) => setTimeout(resolve, 20)).then(() => {
          order.push("terms");
        });
        return terms;
      },
      participate: () => Promise.reject(new Error("never invited")),
    });
    loop.start({ pollIntervalMs: 1 });
    await until(() => order.length >= 3);
    await loop.stop();
    expect(order[0]).toBe("terms");
    expect(order.slice(1).every((step) => step === "check-in")).toBe(true);
    expect(checkIns.length).toBeGreaterThanOrEqual(2);
  });
});
