// route() and predict(): the held model's predictions, the lambda and cost-cap rules with
// allow/deny lists, vectors passed by the app, both inference engines, and the personalised hook,
// against routers trained on the real edge.
import { beforeAll, describe, expect, it } from "vitest";
import { FedRouterError, type ModelPredictor } from "../../../client-sdk/src/index.ts";
import { loadRouter } from "../../../core/routers/registry.ts";
import { type EdgeFederation, federationOnEdge, SMALL_KMEANS, trainedKinds } from "./support/edge.ts";
import { embedder, fixture } from "./support/fixture.ts";

const data = fixture();
/** A trained K-means federation (and an MLP one) that the tests below only read from. */
let kmeans: EdgeFederation;
let mlp: EdgeFederation;
beforeAll(async () => {
  ({ kmeans, mlp } = await trainedKinds(data));
});

const queries = ["explain the theory of relativity", "write a haiku about rain", "sort these numbers: 5 3 9"];

describe("route", () => {
  it("syncs on first use and returns every model's predictions from the router the edge published", async () => {
    const { client, log } = kmeans.client();
    const latest = await kmeans.latest();
    const router = loadRouter(await kmeans.modelFile(latest.version));
    for (const query of queries) {
      const decision = await client.route(query);
      const [vector] = await embedder.embed([query]);
      const expected = router.predict(vector!);
      expect(decision.version).toBe(latest.version);
      expect(decision.predictions.map((p) => p.model)).toEqual(data.benchmark.models);
      decision.predictions.forEach((p, j) => {
        expect(p.quality).toBeCloseTo(expected.quality[j]!, 12);
        expect(p.cost).toBeCloseTo(expected.cost[j]!, 12);
      });
      const batch = await client.predict([vector!]);
      expect(batch.available?.[0]).toEqual(Uint8Array.from(expected.available!));
      // lambda 0: the best predicted quality wins.
      const best = Math.max(...decision.predictions.map((p) => p.quality));
      expect(decision.predictions.find((p) => p.model === decision.model)!.quality).toBe(best);
    }
    expect(log.count("GET", /\/models\/latest$/)).toBe(1);
  });

  it("trades quality for cost with lambda, caps the cost, and keeps to allow and deny lists", async () => {
    const { client } = kmeans.client();
    const query = queries[0]!;
    const free = await client.route(query);
    const cheapest = free.predictions.reduce((a, b) => (b.cost < a.cost ? b : a));
    expect((await client.route(query, { lambda: 1e9 })).model).toBe(cheapest.model);
    const cap = [...free.predictions].sort((a, b) => a.cost - b.cost)[1]!.cost;
    const capped = await client.route(query, { maxCost: cap });
    const chosen = capped.predictions.find((p) => p.model === capped.model)!;
    expect(chosen.cost).toBeLessThanOrEqual(cap);
    expect(capped.predictions.filter((p) => p.eligible).every((p) => p.quality <= chosen.quality)).toBe(true);
    const denied = free.model;
    expect((await client.route(query, { deny: [denied] })).model).not.toBe(denied);
    const only = data.benchmark.models[2]!;
    expect((await client.route(query, { allow: [only] })).model).toBe(only);
    const none = await client.route(query, { allow: [only], deny: [only] }).catch((e: unknown) => e);
    expect(none).toMatchObject({ code: "no_eligible_model" });
    const unknown = await client.route(query, { allow: ["no-such-model"] }).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: "bad_argument" });
  });

  it("routes a vector the app computed, and refuses one of another dimension", async () => {
    const { client } = kmeans.client();
    const [vector] = await embedder.embed([queries[1]!]);
    expect(await client.route({ vector: vector! })).toEqual(await client.route(queries[1]!));
    const wrong = await client.route({ vector: new Float32Array(5).fill(0.1) }).catch((e: unknown) => e);
    expect(wrong).toMatchObject({ code: "embedder_mismatch" });
  });

  it("refuses an embedder option that is not the federation's", async () => {
    const { hashingEmbedder } = await import("../../../client-sdk/src/index.ts");
    const { client } = kmeans.client(0, { embedder: hashingEmbedder({ dimension: 16 }) });
    expect(await client.route(queries[0]!).catch((e: unknown) => e)).toMatchObject({
      code: "embedder_mismatch",
    });
  });

  it("says no_model while the published version cannot route yet", async () => {
    // A new K-means federation publishes its initial state: no clustering yet.
    const { client } = (await federationOnEdge(data, SMALL_KMEANS)).client();
    expect(await client.route(queries[0]!).catch((e: unknown) => e)).toMatchObject({ code: "no_model" });
  });

  it("predicts an MLP router the same way in JavaScript and on onnxruntime", async () => {
    const js = mlp.client().client;
    const ort = mlp.client(0, { inference: "onnxruntime" }).client;
    const vectors = await embedder.embed(queries);
    const a = await js.predict(vectors);
    const b = await ort.predict(vectors);
    expect(a.version).toBe((await mlp.latest()).version);
    expect(a.available).toBeUndefined();
    for (let i = 0; i < vectors.length; i++) {
      for (let j = 0; j < data.benchmark.models.length; j++) {
        expect(b.quality[i]![j]!).toBeCloseTo(a.quality[i]![j]!, 4);
        expect(Math.abs(b.cost[i]![j]! / a.cost[i]![j]! - 1)).toBeLessThan(1e-4);
      }
    }
    expect((await ort.route(queries[0]!)).model).toBe((await js.route(queries[0]!)).model);
  });

  it("routes with the personaliser's predictor in personalised mode, built once per version", async () => {
    let built = 0;
    let rows = -1;
    const personaliser = {
      async personalise(global: ModelPredictor, context: { trainingSet(): Promise<{ n: number }> }) {
        built++;
        rows = (await context.trainingSet()).n;
        // Prefers the last model whatever the federation predicts: visibly different.
        return {
          ...global,
          async predict(vectors: readonly Float32Array[]) {
            const p = await global.predict(vectors);
            return { ...p, quality: p.quality.map((q) => q.map((_, j) => (j === q.length - 1 ? 1 : 0))) };
          },
        };
      },
    };
    const { client } = kmeans.client(0, { personaliser });
    await client.record({ query: queries[0]!, model: data.benchmark.models[0]!, quality: 1, cost: 0.01 });
    const last = data.benchmark.models.at(-1)!;
    expect((await client.route(queries[1]!, { mode: "personalised" })).model).toBe(last);
    expect((await client.route(queries[2]!, { mode: "personalised" })).model).toBe(last);
    expect(built).toBe(1);
    expect(rows).toBe(1);
    const plain = kmeans.client(1).client;
    expect(() => plain.route(queries[0]!, { mode: "personalised" })).toThrow(FedRouterError);
  });
});
