// A third router kind added through the registry alone (test/support/mean-kind.ts) runs through
// the experiment harness like the built-in ones, and loads for routing from its model file.
import { beforeAll, describe, expect, it } from "vitest";
import { syntheticBenchmark } from "../../../../core/data/synthetic.ts";
import { hashingEmbedder } from "../../../../core/embedder/hashing.ts";
import { simulate } from "../../../../core/federated.ts";
import { decodeModelFile, encodeModelFile } from "../../../../core/model-file.ts";
import { seededRandom } from "../../../../core/random.ts";
import { loadRouter, registerRouterKind, routerKindNames } from "../../../../core/routers/registry.ts";
import { runExperiment } from "../../../../experiments/harness.ts";
import { kindExperiment } from "../../../../experiments/kind-experiment.ts";
import { MEAN_KIND, meanAlgorithm, meanKind, registerMeanKind } from "../../../support/mean-kind.ts";

beforeAll(registerMeanKind);

describe("a toy router kind added through the registry", () => {
  it("is listed after the built-in kinds and refuses a second registration", () => {
    expect(routerKindNames()).toContain(MEAN_KIND);
    expect(() => registerRouterKind(meanKind)).toThrow(/already registered/);
  });

  it("runs through the experiment harness by name", async () => {
    const benchmark = syntheticBenchmark({ seed: 3, queries: 600 });
    const result = await runExperiment(benchmark, {
      seed: 3,
      kind: await kindExperiment(MEAN_KIND),
      embedder: hashingEmbedder({ dimension: 64 }),
    });
    expect(result.router).toBe(MEAN_KIND);
    // Summing every client's cells gives the pooled means: federated is centralised exactly.
    expect(result.global.federated).toBe(result.global.centralised);
    // A query-blind router sits between the single models and the oracle.
    expect(result.global.federated).toBeLessThan(result.global.oracle);
    expect(result.clients).toHaveLength(10);
    for (const client of result.clients) expect(client.ownTest.federated).toBe(client.ownTest.centralised);
    // The toy kind is the harness's query-blind baseline fitted another way: they score alike.
    expect(result.global.queryBlind).toBe(result.global.centralised);
    for (const client of result.clients) expect(client.ownTest.queryBlind).toBe(client.ownTest.centralised);
  });

  it("routes from its published model file with each model's pooled means", async () => {
    const benchmark = syntheticBenchmark({ seed: 4, queries: 60 });
    const embedder = { id: "toy", dimension: 2 };
    const m = benchmark.models.length;
    const set = {
      n: 2,
      dimension: 2,
      modelCount: m,
      features: new Float32Array(4),
      quality: new Float32Array(2 * m).fill(0.25),
      cost: new Float32Array(2 * m).fill(0.01),
      observed: new Uint8Array(2 * m),
    };
    set.observed[0] = 1; // model 0, query 0
    set.quality[m] = 0.75;
    set.observed[m] = 1; // model 0, query 1
    set.observed[1] = 1; // model 1, query 0
    const initial = meanKind.initialState({ models: benchmark.models, embedder, hyperparameters: {} });
    const trained = await simulate(meanAlgorithm, initial, [set], { random: seededRandom(1) });
    const router = loadRouter(decodeModelFile(encodeModelFile(meanAlgorithm.toModelFile(trained))));
    const prediction = router.predict(new Float32Array([1, 0]));
    expect(prediction.quality[0]).toBeCloseTo(0.5, 12);
    expect(prediction.quality[1]).toBeCloseTo(0.25, 7);
    expect(Array.from(prediction.available ?? [])).toEqual([1, 1, ...new Array(m - 2).fill(0)]);
  });
});
