import { describe, expect, it } from "vitest";
import { seededRandom } from "../../core/random.ts";
import { createFederation, createTenant, expectStatus } from "./support/api.ts";
import { meanAlgorithm, meanStrategy } from "./support/mean-strategy.ts";
import { type DropPoint, latestModel, plainSum, runRound } from "./support/rounds.ts";

const DIMENSION = 6;

/** Each client's fixed data: a few seeded vectors, so its contribution is the same every round. */
function clientData(clientIds: string[]) {
  const random = seededRandom(42);
  return new Map(
    clientIds.map((id) => [
      id,
      Array.from({ length: 3 }, () => Float64Array.from({ length: DIMENSION }, () => random() * 4 - 2)),
    ]),
  );
}

describe("a federation run through the HTTP API", () => {
  it("publishes, after each secure round, the model computed from the survivors' plain sum", async () => {
    const tenant = await createTenant();
    const handle = await createFederation(tenant, 12);
    const data = clientData(handle.clients.map((c) => c.clientId));
    const setup = {
      models: ["small-model", "large-model"],
      embedder: { id: "hashing-64", dimension: DIMENSION },
      hyperparameters: { rounds: 5 },
    };
    const algorithm = meanAlgorithm(setup);
    let global = algorithm.fromModelFile(meanStrategy.initialModel(setup));
    const contributionOf = (id: string) =>
      algorithm.contribute(global, data.get(id)!, seededRandom(0)) as Float64Array;
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
      const expected = algorithm.finalize(
        global,
        plainSum(run.survivors, run.summary.secureAggregation.scale),
      );
      const { pointer, file } = await latestModel(handle, handle.clients[1]!.token);
      expect(pointer.version).toBe(r + 1);
      expect(Array.from(file.tensors.mean!)).toEqual(Array.from(expected.mean));
      global = expected;
    }
    const usage = await expectStatus(200, "GET", `/v1/federations/${handle.federationId}/usage`, {
      token: handle.ownerToken,
    });
    expect(usage.roundsRun).toBe(3);
    expect(usage.updatesAggregated).toBe(10 + 11 + 11);
    expect(usage.bytesIngested).toBeGreaterThan(30 * (DIMENSION + 2) * 4);
  });
});
