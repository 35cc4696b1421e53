// The edge issue's acceptance run with the real K-means router: 12 enrolled clients, 3 secure
// rounds (passes), two clients dropping at different stages each round.
import { describe, expect, it } from "vitest";
import type { EvaluationSet } from "../../../core/data/evaluations.ts";
import { federatedKMeans, type KMeansState } from "../../../core/kmeans/federated.ts";
import { seededRandom } from "../../../core/random.ts";
import { createFederation, createTenant } from "../support/api.ts";
import { type DropPoint, latestModel, plainSum, runRound } from "../support/rounds.ts";

const DIMENSION = 8;
const MODELS = ["small-model", "mid-model", "large-model"];

/** Each client's evaluations: 20 seeded queries around one of three task centres. */
function clientSets(clientIds: string[]): Map<string, EvaluationSet> {
  const random = seededRandom(7);
  return new Map(
    clientIds.map((id, c) => {
      const n = 20;
      const features = new Float32Array(n * DIMENSION);
      for (let q = 0; q < n; q++) {
        for (let i = 0; i < DIMENSION; i++)
          features[q * DIMENSION + i] = (i === c % 3 ? 1 : 0) + 0.1 * random();
      }
      const observed = Uint8Array.from({ length: n * 3 }, () => (random() < 0.4 ? 1 : 0));
      const quality = Float32Array.from({ length: n * 3 }, () => (random() < 0.6 ? 1 : 0));
      const cost = Float32Array.from({ length: n * 3 }, (_, k) => 0.001 * (1 + (k % 3)));
      return [id, { n, dimension: DIMENSION, modelCount: 3, features, quality, cost, observed }];
    }),
  );
}

describe("a K-means federation run through the HTTP API with secure aggregation", () => {
  it("publishes after each round exactly the model finalised from the survivors' plain sum", async () => {
    const tenant = await createTenant();
    const handle = await createFederation(tenant, 12, {
      router: { kind: "kmeans", hyperparameters: { clusters: 3, lloydPasses: 2, powerPasses: 1 } },
      models: MODELS.map((id, j) => ({ id, inputPrice: 0.1 * (j + 1), outputPrice: 0.4 * (j + 1) })),
      embedder: { id: "hashing-test", dimension: DIMENSION },
      clipping: { min: -100, max: 100 },
    });
    const sets = clientSets(handle.clients.map((c) => c.clientId));
    let global: KMeansState = federatedKMeans.fromModelFile((await latestModel(handle)).file);
    expect(global.phase).toBe("lloyd");
    const contributionOf = (id: string) =>
      federatedKMeans.contribute(global, sets.get(id)!, seededRandom(0)) as Float64Array;
    const dropPlans: [number, DropPoint][][] = [
      [
        [1, "advertise_keys"],
        [8, "masked_input"],
      ],
      [
        [4, "share_keys"],
        [6, "none"],
      ],
      [
        [0, "masked_input"],
        [11, "share_keys"],
      ],
    ];
    for (const [r, plan] of dropPlans.entries()) {
      const drops = new Map(plan.map(([i, point]) => [handle.clients[i]!.clientId, point]));
      const run = await runRound(handle, contributionOf, drops, r + 1);
      expect(run.summary.outcome).toEqual({ kind: "published", version: r + 1 });
      // Those who stopped after their masked input are still summed.
      const lost = plan.filter(([, point]) => point !== "masked_input").length;
      expect(run.survivors.length).toBe(12 - lost);
      const expected = federatedKMeans.finalise(
        global,
        plainSum(run.survivors, run.summary.secureAggregation.scale),
      );
      // Mid-training versions are the owner's to read (clients get final ones).
      const { file } = await latestModel(handle);
      const published = federatedKMeans.fromModelFile(file);
      expect(published.phase).toBe(expected.phase);
      expect(published.size).toBe(expected.size);
      expect(Array.from(published.centroids)).toEqual(Array.from(expected.centroids));
      expect(published.directions ? Array.from(published.directions) : null).toEqual(
        expected.directions ? Array.from(expected.directions) : null,
      );
      global = expected;
    }
    // Three passes: the global mean, then the first split's power iteration and its first Lloyd pass.
    expect(global.size).toBe(2);
  });
});
