// Both built-in kinds in a federation with a tag vocabulary: they train on rows of the embedding
// followed by the tag indicators, record the vocabulary in their model files and route such rows.
import { describe, expect, it } from "vitest";
import type { EvaluationSet } from "../../../../core/data/evaluations.ts";
import { simulate } from "../../../../core/federated.ts";
import { decodeModelFile, encodeModelFile, inputWidth } from "../../../../core/model-file.ts";
import { seededRandom } from "../../../../core/random.ts";
import { routeVector } from "../../../../core/router.ts";
import { routerKind } from "../../../../core/routers/registry.ts";
import { embeddingSet, routerRow, withTagIndicators } from "../../../../core/routers/tags.ts";
import { seededEvaluationSet } from "../../../support/evaluation-sets.ts";

const embedder = { id: "hashing-test", dimension: 6 };
const models = ["a", "b", "c"];
const vocabulary = ["billing", "code"];

/** Three clients whose queries carry one of the tags, none, or a tag outside the vocabulary. */
function taggedClients(): EvaluationSet[] {
  const random = seededRandom(11);
  const choices = [["billing"], ["code"], [], ["unknown"], ["billing", "code"]];
  return [0, 1, 2].map(() => {
    const set = seededEvaluationSet(random, { queries: 40, dimension: embedder.dimension, models: 3 });
    const tags = Array.from({ length: set.n }, (_, q) => choices[q % choices.length]!);
    return withTagIndicators(set, tags, vocabulary);
  });
}

const setups = {
  kmeans: { clusters: 3 },
  mlp: { hidden: 8, rounds: 2, fraction: 1, batchSize: 16 },
};

describe.each(Object.entries(setups))("the %s kind with a tag vocabulary", (name, hyperparameters) => {
  const kind = routerKind(name);
  const setup = { models, embedder, hyperparameters, tags: vocabulary };

  it("trains on tagged rows, records the vocabulary and routes rows of that width only", async () => {
    const algorithm = kind.algorithm(name === "mlp" ? await referenceCompute() : undefined);
    const trained = await simulate(algorithm, kind.initialState(setup), taggedClients(), {
      random: seededRandom(3),
      fraction: 1,
    });
    const file = decodeModelFile(encodeModelFile(algorithm.toModelFile(trained)));
    expect(file.tags).toEqual(vocabulary);
    expect(inputWidth(file)).toBe(embedder.dimension + vocabulary.length);
    // The vocabulary survives the round trip through the file, as the edge publishes it.
    const router = kind.router(algorithm.fromModelFile(file));
    expect(router.tags).toEqual(vocabulary);
    const row = routerRow(new Float32Array(embedder.dimension).fill(0.25), ["code"], vocabulary);
    const decision = routeVector(router, row, embedder);
    expect(models).toContain(decision.model);
    expect(() => routeVector(router, row.subarray(0, embedder.dimension), embedder)).toThrow(
      /expects 8 \(6-d embedding, 2 tag indicators\)/,
    );
    // The router itself refuses a row without the indicators, whoever calls it.
    expect(() => router.predict(row.subarray(0, embedder.dimension))).toThrow(/the router reads 8/);
    // A trained federation that grows keeps its vocabulary: new models, then joining clients.
    const grown = kind.addModels!(trained, ["d"]);
    expect(algorithm.toModelFile(grown).tags).toEqual(vocabulary);
    expect(algorithm.toModelFile(kind.joinClients!(trained)).tags).toEqual(vocabulary);
  });

  it("refuses a client's rows without the indicators", async () => {
    const algorithm = kind.algorithm(name === "mlp" ? await referenceCompute() : undefined);
    const state = kind.initialState(setup);
    const plain = embeddingSet(taggedClients()[0]!, embedder.dimension);
    await expect(async () => algorithm.contribute(state, plain, seededRandom(1))).rejects.toThrow(
      /6 dimensions|6-d/,
    );
  });
});

describe("K-means with tags", () => {
  it("clusters on the embeddings alone: the centroids are those of the untagged federation", async () => {
    const kind = routerKind("kmeans");
    const algorithm = kind.algorithm();
    const tagged = taggedClients();
    const plain = tagged.map((set) => embeddingSet(set, embedder.dimension));
    const base = { models, embedder, hyperparameters: { clusters: 3 } };
    const withTags = await simulate(algorithm, kind.initialState({ ...base, tags: vocabulary }), tagged, {
      random: seededRandom(1),
    });
    const without = await simulate(algorithm, kind.initialState(base), plain, { random: seededRandom(1) });
    const files = [withTags, without].map((state) => algorithm.toModelFile(state));
    expect(Array.from(files[0]!.tensors.centroids!)).toEqual(Array.from(files[1]!.tensors.centroids!));
  });
});

describe("the MLP with tags", () => {
  it("widens its first layer by one input per tag", () => {
    const kind = routerKind("mlp");
    const state = kind.initialState({ models, embedder, hyperparameters: setups.mlp, tags: vocabulary });
    const file = kind.algorithm().toModelFile(state);
    expect(file.tensors["layer1.weight"]!.length).toBe(8 * (embedder.dimension + vocabulary.length));
  });
});

async function referenceCompute() {
  const { createReferenceTrainer } = await import("../../../../core/mlp/reference-trainer.ts");
  return { trainer: createReferenceTrainer() };
}
