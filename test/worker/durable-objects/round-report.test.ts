// A Round's report of its end can be lost on the way to the Federation (an RPC that throws). The
// Round retries it from its alarm until the Federation acknowledges it, and a Federation asked to
// start a round while an earlier one looks current asks that Round how it ended, so a lost report
// never wedges the federation.
import { describe, expect, it } from "vitest";
import { call, createFederation, createTenant, expectStatus, type FederationHandle } from "../support/api.ts";
import { failing, patchEnv, withMethods } from "../support/faults.ts";
import { passDeadline, roundStub, roundSummary, startRound } from "../support/rounds.ts";

/** Makes the Round's reports to its Federation throw, the first `times` of them. */
async function loseReports(handle: FederationHandle, round: number, times: number) {
  let fault: ReturnType<typeof failing> | undefined;
  await patchEnv(roundStub(handle.federationId, round), (real) => ({
    FEDERATIONS: withMethods(real.FEDERATIONS, {
      getByName: (getByName) => (name: string) =>
        withMethods(getByName(name as never) as unknown as object, {
          recordRound: (original) => {
            fault ??= failing(original, times, async () => {
              throw new Error("the Federation could not be reached");
            });
            return fault;
          },
        }),
    }),
  }));
  return { calls: () => fault?.calls() ?? 0 };
}

const current = (handle: FederationHandle) =>
  call("GET", `/v1/federations/${handle.federationId}/rounds/current`, { token: handle.ownerToken });

const usage = (handle: FederationHandle) =>
  expectStatus(200, "GET", `/v1/federations/${handle.federationId}/usage`, { token: handle.ownerToken });

describe("a round's lost report", () => {
  it("is retried from the Round's alarm until the Federation records the abort, and the next round opens", async () => {
    const handle = await createFederation(await createTenant(), 5);
    const opened = await startRound(handle);
    const reports = await loseReports(handle, opened.round, 1);
    // Nobody advertises keys: the round aborts at the deadline, and its report is lost.
    await passDeadline(handle.federationId, opened.round);
    expect(reports.calls()).toBe(1);
    const described = await roundStub(handle.federationId, opened.round).describe();
    expect(described.ok && described.value.outcome?.kind).toBe("aborted");
    expect((await current(handle)).status).toBe(200);

    // The retry the Round scheduled (made due now) delivers the report.
    await passDeadline(handle.federationId, opened.round);
    expect(reports.calls()).toBe(2);
    expect((await current(handle)).status).toBe(404);
    expect((await roundSummary(handle, opened.round)).outcome).toMatchObject({ kind: "aborted" });
    expect((await usage(handle)).roundsAborted).toBe(1);
    expect((await startRound(handle)).round).toBe(opened.round + 1);
  });

  it("is reconciled by the next round start, which closes the finished round and opens its successor", async () => {
    const handle = await createFederation(await createTenant(), 5);
    const opened = await startRound(handle);
    // A round that still runs keeps the federation busy.
    const busy = await call("POST", `/v1/federations/${handle.federationId}/rounds`, {
      token: handle.ownerToken,
    });
    expect(busy.status).toBe(409);
    expect(busy.body.error.code).toBe("conflict");

    await loseReports(handle, opened.round, Number.POSITIVE_INFINITY);
    await passDeadline(handle.federationId, opened.round);
    expect((await current(handle)).status).toBe(200);

    const next = await startRound(handle);
    expect(next.round).toBe(opened.round + 1);
    const closed = await roundSummary(handle, opened.round);
    expect(closed.stage).toBe("aborted");
    expect(closed.outcome).toMatchObject({ kind: "aborted" });
    expect((await usage(handle)).roundsAborted).toBe(1);
  });
});
