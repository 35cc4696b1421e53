// Context tags in the SDK against the real edge: record() keeps a query's tags with its evaluation,
// participate() trains on rows of embedding and the federation's tag indicators, and route() and
// predict() build the same rows, ignoring tags outside the vocabulary.
import { beforeAll, describe, expect, it } from "vitest";
import { FedRouterError, type FedrouterClient, MemoryStore } from "../../../client-sdk/src/index.ts";
import { buildTrainingSet } from "../../../client-sdk/src/round/training-set.ts";
import { simulate } from "../../../core/federated.ts";
import { seededRandom } from "../../../core/random.ts";
import { loadRouter, routerKind } from "../../../core/routers/registry.ts";
import { routerRow } from "../../../core/routers/tags.ts";
import { type EdgeFederation, federationOnEdge, SMALL_KMEANS, SMALL_MLP } from "./support/edge.ts";
import { embedder, embedderInfo, fixture, recordRows } from "./support/fixture.ts";

const data = fixture();
/** The fixture's task labels are the vocabulary; the apps also send a tag no federation knows. */
const vocabulary = [...new Set(data.benchmark.tasks)].sort();
const tagsOf = (row: number) => [data.benchmark.tasks[row]!, "beta-users"];

async function trainedTagged(kind: typeof SMALL_KMEANS) {
  const federation = await federationOnEdge(data, { ...kind, tags: vocabulary });
  const trainers = await Promise.all(
    data.rows.map(async (_, c) => {
      const { client } = federation.client(c);
      await recordRows(client, data, c, tagsOf);
      return client;
    }),
  );
  await federation.train(trainers);
  return { federation, trainers };
}

let kmeans: { federation: EdgeFederation; trainers: FedrouterClient[] };
let mlp: { federation: EdgeFederation; trainers: FedrouterClient[] };
beforeAll(async () => {
  [kmeans, mlp] = await Promise.all([trainedTagged(SMALL_KMEANS), trainedTagged(SMALL_MLP)]);
});

const query = "sort these numbers: 5 3 9";

describe("record() with tags", () => {
  it("stores the tags with the evaluation and refuses tags that are not a list of short strings", async () => {
    const store = new MemoryStore();
    const { client } = kmeans.federation.client(0, { store });
    const good = { query, model: data.benchmark.models[0]!, quality: 1, cost: 0.01 };
    await client.record({ ...good, tags: ["code", "beta-users"] });
    await client.record(good);
    expect((await store.all()).map((e) => e.tags)).toEqual([["code", "beta-users"], undefined]);
    for (const tags of [[""], ["x".repeat(65)], "code", [3]]) {
      let thrown: unknown;
      try {
        client.record({ ...good, tags } as never);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(FedRouterError);
      expect(thrown).toMatchObject({ code: "bad_argument", message: expect.stringMatching(/tags/) });
    }
  });
});

describe("training on tagged evaluations", () => {
  it("builds one row per query and context, the embedding then the vocabulary's indicators", async () => {
    const m = data.benchmark.models;
    const evaluations = [
      { query, model: m[0]!, quality: 1, cost: 0.1, tags: ["task-1", "unknown"] },
      { query, model: m[1]!, quality: 0, cost: 0.2, tags: ["task-1"] },
      { query, model: m[0]!, quality: 0.5, cost: 0.1, tags: ["task-0"] },
      { query, model: m[2]!, quality: 1, cost: 0.3 },
    ];
    const { set } = await buildTrainingSet(evaluations, m, embedderInfo, embedder, ["task-0", "task-1"]);
    const [vector] = await embedder.embed([query]);
    const width = embedderInfo.dimension + 2;
    expect(set.dimension).toBe(width);
    // The unknown tag does not split task-1's row; task-0 and no tags are other contexts.
    expect(set.n).toBe(3);
    const rows = [0, 1, 2].map((q) => [...set.features.subarray(q * width, (q + 1) * width)]);
    expect(rows).toEqual([
      [...routerRow(vector!, ["task-1"], ["task-0", "task-1"])],
      [...routerRow(vector!, ["task-0"], ["task-0", "task-1"])],
      [...routerRow(vector!, [], ["task-0", "task-1"])],
    ]);
    expect([...set.observed.subarray(0, 3)]).toEqual([1, 1, 0]);
  });

  it("publishes the K-means router its clients' tagged rows simulate to", async () => {
    const file = await kmeans.federation.modelFile((await kmeans.federation.latest()).version);
    expect(file.tags).toEqual(vocabulary);
    const kind = routerKind("kmeans");
    const sets = await Promise.all(
      kmeans.trainers.map(
        async (t) =>
          (
            await buildTrainingSet(
              await t.store.all(),
              data.benchmark.models,
              embedderInfo,
              embedder,
              vocabulary,
            )
          ).set,
      ),
    );
    const setup = {
      models: data.benchmark.models,
      embedder: embedderInfo,
      hyperparameters: SMALL_KMEANS.hyperparameters!,
      tags: vocabulary,
    };
    const algorithm = kind.algorithm();
    const simulated = algorithm.toModelFile(
      await simulate(algorithm, kind.initialState(setup), sets, { random: seededRandom(1) }),
    );
    // Counts are exact; sums of qualities and costs differ only by fixed-point resolution.
    const [published, expected] = [file, simulated].map((f) => Array.from(f.tensors.stats!));
    expect(published).toHaveLength(expected!.length);
    // Each element's error is below participants / scale (5 / (2^30 / (5 * 1000)), about 2e-5).
    for (const [i, value] of published!.entries()) expect(value).toBeCloseTo(expected![i]!, 3);
  });
});

describe("route() and predict() with tags", () => {
  it("predict from the held router's row of embedding and indicators, ignoring unknown tags", async () => {
    for (const { federation } of [kmeans, mlp]) {
      const { client } = federation.client(1);
      const file = await federation.modelFile((await federation.latest()).version);
      const router = loadRouter(file);
      const [vector] = await embedder.embed([query]);
      for (const tags of [["task-0"], ["task-2", "beta-users"], []]) {
        const decision = await client.route(query, { tags });
        const expected = router.predict(routerRow(vector!, tags, vocabulary));
        for (const [j, p] of decision.predictions.entries())
          expect(p.quality).toBeCloseTo(expected.quality[j]!, 6);
      }
      expect(await client.route(query, { tags: ["beta-users"] })).toEqual(await client.route(query));
      expect(await client.route(query, { tags: ["task-1", "nope"] })).toEqual(
        await client.route(query, { tags: ["task-1"] }),
      );
      expect(client.model?.tags).toEqual(vocabulary);
      const batch = await client.predict([vector!, vector!], { tags: [["task-1"], undefined] });
      expect(batch.quality[0]).toEqual(
        Float64Array.from(
          (await client.route(query, { tags: ["task-1"] })).predictions.map((p) => p.quality),
        ),
      );
    }
  });

  it("gives the MLP's tag inputs weight: another tag, another prediction", async () => {
    const { client } = mlp.federation.client(2);
    const qualities = await Promise.all(
      vocabulary.map(async (tag) =>
        (await client.route(query, { tags: [tag] })).predictions.map((p) => p.quality),
      ),
    );
    expect(new Set(qualities.map((q) => q.join(","))).size).toBe(vocabulary.length);
  });

  it("refuses tags that are not a list of strings at the call", () => {
    const { client } = kmeans.federation.client(0);
    expect(() => client.route(query, { tags: "task-0" as never })).toThrow(/tags must be a list/);
    expect(() => client.predict([new Float32Array(24)], { tags: [] })).toThrow(/one list/);
  });
});
