// The SDK's built-in personalised routing mode: the adaptive mixture of the federation's router
// and a router trained on the client's own recorded evaluations, built on the device, with the
// federation's router trained on the real edge.
import { beforeAll, describe, expect, it } from "vitest";
import { adaptivePersonaliser, type PersonalisedPredictor } from "../../../client-sdk/src/index.ts";
import { buildTrainingSet } from "../../../client-sdk/src/round/training-set.ts";
import { MemoryStore } from "../../../client-sdk/src/store/store.ts";
import { createReferenceTrainer } from "../../../core/mlp/reference-trainer.ts";
import { seededRandom } from "../../../core/random.ts";
import { trainLocalModel } from "../../../core/routers/local.ts";
import { loadRouter } from "../../../core/routers/registry.ts";
import { type EdgeFederation, trainedKinds } from "./support/edge.ts";
import { embedder, fixture } from "./support/fixture.ts";

const data = fixture();
/** Trained K-means and MLP federations that the tests below only read from. */
let kmeans: EdgeFederation;
let mlp: EdgeFederation;
beforeAll(async () => {
  ({ kmeans, mlp } = await trainedKinds(data));
});

/** A new client of `federation`, whose app judged `judged` on each of the first `count` queries. */
async function clientWith(federation: EdgeFederation, count: number, quality: (q: number) => number) {
  const store = new MemoryStore();
  const [judged] = data.benchmark.models;
  for (let q = 0; q < count; q++)
    await store.add({ query: data.benchmark.prompts[q]!, model: judged!, quality: quality(q), cost: 0.001 });
  const personaliser = adaptivePersonaliser();
  let built: PersonalisedPredictor | undefined;
  const { client } = federation.client(0, {
    store,
    embedder,
    personaliser: {
      async personalise(global, context) {
        built = (await personaliser.personalise(global, context)) as PersonalisedPredictor;
        return built;
      },
    },
  });
  return { client, store, built: () => built! };
}

const unseen = ["what is the boiling point of water at altitude", "prove that sqrt 2 is irrational"];

describe("personalised routing (adaptive mixture)", () => {
  it("mixes the federation's K-means router with one trained on the client's own evaluations", async () => {
    // The client's judged model is right on three queries in four.
    const { client, store, built } = await clientWith(kmeans, 40, (q) => (q % 4 === 0 ? 0 : 1));
    const personalised = await client.route(unseen[0]!, { mode: "personalised" });
    const global = await client.route(unseen[0]!);
    const { mixture, evaluations } = built();
    expect(evaluations).toBe(40);
    // Only the judged model has own cells; the others keep the even split.
    expect(mixture.quality[0]).toBeGreaterThan(0);
    expect(mixture.quality[0]).toBeLessThan(1);
    for (let j = 1; j < data.benchmark.models.length; j++) expect(mixture.quality[j]).toBe(0.5);

    // Each prediction is w * federation + (1 - w) * local, the local router being the
    // federation's kind trained on the client's cells alone.
    const file = await kmeans.modelFile(client.model!.version);
    const set = (await buildTrainingSet(await store.all(), file.models, file.embedder, embedder)).set;
    const local = loadRouter(
      await trainLocalModel(file, set, {
        compute: { trainer: createReferenceTrainer() },
        random: seededRandom(1),
      }),
    );
    const [vector] = await embedder.embed([unseen[0]!]);
    const mine = local.predict(vector!);
    personalised.predictions.forEach((p, j) => {
      const g = global.predictions[j]!.quality;
      const w = mixture.quality[j]!;
      const expected = mine.available && !mine.available[j] ? g : w * g + (1 - w) * mine.quality[j]!;
      expect(p.quality).toBeCloseTo(expected, 9);
    });
  });

  it("gives a model all to the local router when it predicts the client's cells without error", async () => {
    // Always right: the local router's cross-validated error is 0, so w_global = 0 (up to float
    // rounding: soft assignment mixes the clusters' estimates, each exactly 1).
    const { client, built } = await clientWith(kmeans, 40, () => 1);
    const personalised = await client.route(unseen[1]!, { mode: "personalised" });
    expect(built().mixture.quality[0]).toBeCloseTo(0, 12);
    expect(personalised.predictions[0]!.quality).toBeCloseTo(1, 9);
  });

  it("routes with the federation's router alone before anything is recorded", async () => {
    const { client, built } = await clientWith(kmeans, 0, () => 1);
    const personalised = await client.route(unseen[1]!, { mode: "personalised" });
    const global = await client.route(unseen[1]!);
    expect(built().evaluations).toBe(0);
    expect(personalised.predictions).toEqual(global.predictions);
  });

  it("trains a local MLP on the device and mixes it in", async () => {
    const { client, built } = await clientWith(mlp, 30, (q) => q % 2);
    const personalised = await client.route(unseen[0]!, { mode: "personalised" });
    const global = await client.route(unseen[0]!);
    const { mixture } = built();
    expect(mixture.quality[0]).toBeGreaterThan(0);
    expect(mixture.quality[0]).toBeLessThan(1);
    expect(mixture.quality[1]).toBe(0.5);
    expect(personalised.predictions[0]!.quality).not.toBeCloseTo(global.predictions[0]!.quality, 6);
    // The local MLP has no statistics for the models the client never judged, so it does not
    // predict them: their quality and price are the federation's, not half an untrained head's.
    for (let j = 1; j < data.benchmark.models.length; j++) {
      expect(personalised.predictions[j]!.quality).toBeCloseTo(global.predictions[j]!.quality, 12);
      expect(personalised.predictions[j]!.cost).toBeCloseTo(global.predictions[j]!.cost, 12);
    }
  });
});
