// A model a router's clients never judged has no cost statistics and an untrained head: the
// router must not predict it (a client's local router would otherwise price it anywhere from 0
// to 19 USD a query, and the personalised mixture would inherit that price).
import { describe, expect, it } from "vitest";
import { simulate } from "../../../../core/federated.ts";
import { costStatsContribution, costStatsFromTotals } from "../../../../core/mlp/cost-normalisation.ts";
import { createFederatedMlp } from "../../../../core/mlp/federated.ts";
import { predictMlp } from "../../../../core/mlp/predict.ts";
import { createReferenceTrainer } from "../../../../core/mlp/reference-trainer.ts";
import { mlpRouter } from "../../../../core/mlp/router-file.ts";
import { initialMlpState } from "../../../../core/mlp/state.ts";
import { ModelFileError } from "../../../../core/model-file.ts";
import { seededRandom } from "../../../../core/random.ts";
import { loadRouter } from "../../../../core/routers/registry.ts";
import { route } from "../../../../core/routing.ts";
import { syntheticSet } from "./fixtures.ts";

const dimension = 8;
const models = ["strong-on-0", "strong-on-1", "cheap"];
const embedder = { id: "synthetic", dimension };
const algorithm = createFederatedMlp(createReferenceTrainer());

/** A router trained on one client that never judged the cheap model. */
async function localRouter() {
  const set = syntheticSet(seededRandom(5), { n: 120, dimension, coverage: 0.7, unseen: [2] });
  const initial = initialMlpState({ models, embedder, hidden: 16, batchSize: 32, rounds: 2 });
  return simulate(algorithm, initial, [set], { fraction: 1, random: seededRandom(6) });
}

describe("models nobody observed", () => {
  it("count zero in the cost statistics", () => {
    const set = syntheticSet(seededRandom(1), { n: 50, dimension, coverage: 0.8, unseen: [1] });
    const stats = costStatsFromTotals(costStatsContribution(set));
    const observed = [0, 1, 2].map((j) => set.observed.filter((o, i) => o && i % 3 === j).length);
    expect([...stats.count!]).toEqual(observed);
    expect(observed[1]).toBe(0);
    expect([stats.mu[1], stats.sigma[1]]).toEqual([0, 1]);
  });

  it("are unavailable in a local router's predictions, and never routed to", async () => {
    const trained = await localRouter();
    const test = syntheticSet(seededRandom(7), { n: 30, dimension, coverage: 1 });
    const prediction = predictMlp(mlpRouter(trained), test.features, test.n);
    for (let q = 0; q < test.n; q++)
      expect([...prediction.available!.subarray(q * 3, q * 3 + 3)]).toEqual([1, 1, 0]);
    // The same through the router loaded from its file, one query at a time, for any lambda.
    const router = loadRouter(algorithm.toModelFile(trained));
    for (let q = 0; q < test.n; q++) {
      const p = router.predict(test.features.subarray(q * dimension, (q + 1) * dimension));
      expect(Array.from(p.available!)).toEqual([1, 1, 0]);
      for (const lambda of [0, 10, 1e6]) expect(route(models, p, { lambda }).model).not.toBe("cheap");
    }
  });

  it("leave a router every model of which was observed fully available", async () => {
    const set = syntheticSet(seededRandom(8), { n: 120, dimension, coverage: 0.7 });
    const initial = initialMlpState({ models, embedder, hidden: 16, batchSize: 32, rounds: 1 });
    const trained = await simulate(algorithm, initial, [set], { fraction: 1, random: seededRandom(9) });
    const test = syntheticSet(seededRandom(10), { n: 5, dimension, coverage: 1 });
    expect(predictMlp(mlpRouter(trained), test.features, test.n).available).toBeNull();
  });

  it("keep their counts through the model file; a file without counts predicts every model", async () => {
    const trained = await localRouter();
    const file = algorithm.toModelFile(trained);
    expect(algorithm.fromModelFile(file).costStats).toEqual(trained.costStats);
    const { "cost.count": _, ...older } = file.tensors;
    const legacy = algorithm.fromModelFile({ ...file, tensors: older });
    expect(legacy.costStats!.count).toBeUndefined();
    const test = syntheticSet(seededRandom(11), { n: 4, dimension, coverage: 1 });
    expect(predictMlp(mlpRouter(legacy), test.features, test.n).available).toBeNull();
    const bad = { ...file, tensors: { ...file.tensors, "cost.count": new Float32Array(2) } };
    expect(() => algorithm.fromModelFile(bad)).toThrow(ModelFileError);
    expect(() => algorithm.fromModelFile(bad)).toThrow(/one entry per model \(3\)/);
  });
});
