import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../core/random.ts";
import { seededClientSets } from "../../support/evaluation-sets.ts";
import { meanAlgorithm, meanKind } from "../../support/mean-kind.ts";
import { createFederation, createTenant, expectStatus } from "../support/api.ts";
import { evaluationShape, kindSetup } from "../support/federation-config.ts";
import { type DropPoint, latestModel, plainSum, runRound } from "../support/rounds.ts";

describe("a federation run through the HTTP API", () => {
  it("publishes, after each secure round, the model computed from the survivors' plain sum", async () => {
    const tenant = await createTenant();
    const handle = await createFederation(tenant, 12);
    // Each client's fixed evaluations, so its contribution is the same every round.
    const sets = seededClientSets(
      handle.clients.map((c) => c.clientId),
      seededRandom(42),
      evaluationShape(3),
    );
    let global = meanKind.initialState(kindSetup());
    const contributionOf = (id: string) =>
      meanAlgorithm.contribute(global, sets.get(id)!, seededRandom(0)) as Float64Array;
    const dropPlans: [number, DropPoint][][] = [
      [
        [2, "share_keys"],
        [7, "advertise_keys"],
      ],
      [
        [0, "masked_input"],
        [5, "none"],
      ],
      [
        [3, "share_keys"],
        [9, "masked_input"],
      ],
    ];
    for (const [r, plan] of dropPlans.entries()) {
      const drops = new Map(plan.map(([i, point]) => [handle.clients[i]!.clientId, point]));
      const run = await runRound(handle, contributionOf, drops, r + 1);
      expect(run.summary.outcome).toEqual({ kind: "published", version: r + 1 });
      expect(run.summary.stage).toBe("done");
      expect(run.summary.outcome).toEqual({ kind: "published", version: r + 1 });
      // A client that stops after sending its masked input is still summed (its neighbours unmask it).
      const lost = plan.filter(([, point]) => point !== "masked_input").length;
      expect(run.survivors.length).toBe(12 - lost);
      expect(run.summary.dropouts).toBe(lost);
      const expected = meanAlgorithm.finalise(
        global,
        plainSum(run.survivors, run.summary.secureAggregation.scale),
      );
      // Mid-training versions are the owner's to read (clients get final ones).
      const { pointer, file } = await latestModel(handle);
      expect(pointer.version).toBe(r + 1);
      expect(meanAlgorithm.fromModelFile(file)).toEqual(expected);
      global = expected;
    }
    const usage = await expectStatus(200, "GET", `/v1/federations/${handle.federationId}/usage`, {
      token: handle.ownerToken,
    });
    expect(usage.roundsRun).toBe(3);
    expect(usage.updatesAggregated).toBe(10 + 11 + 11);
    // A masked input is [w, w * contribution] as 32-bit integers, and a contribution 3 per model.
    expect(usage.bytesIngested).toBeGreaterThan(30 * (3 * global.models.length + 1) * 4);
  });
});
