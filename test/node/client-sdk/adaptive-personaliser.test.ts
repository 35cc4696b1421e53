// The SDK's built-in personalised routing mode: by default the federation's router as the prior
// and the client's own recorded evaluations as the evidence (core/personalisation-prior.ts), with
// the earlier inverse-error mixture on request; the local router is built on the device, the
// federation's router trained on the real edge.
import { beforeAll, describe, expect, it } from "vitest";
import {
  type AdaptivePersonaliserOptions,
  adaptivePersonaliser,
  type PersonalisedPredictor,
} from "../../../client-sdk/src/index.ts";
import { buildTrainingSet } from "../../../client-sdk/src/round/training-set.ts";
import { MemoryStore } from "../../../client-sdk/src/store/store.ts";
import type { EvaluationSet } from "../../../core/data/evaluations.ts";
import { createReferenceTrainer } from "../../../core/mlp/reference-trainer.ts";
import type { ModelFile } from "../../../core/model-file.ts";
import { heldOutPredictions, priorEvidenceOf } from "../../../core/personalisation-prior.ts";
import type { BatchPredictor } from "../../../core/prediction.ts";
import { seededRandom } from "../../../core/random.ts";
import type { Router } from "../../../core/routers/kind.ts";
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
async function clientWith(
  federation: EdgeFederation,
  count: number,
  quality: (q: number) => number,
  options: AdaptivePersonaliserOptions = {},
) {
  const store = new MemoryStore();
  const [judged] = data.benchmark.models;
  for (let q = 0; q < count; q++)
    await store.add({ query: data.benchmark.prompts[q]!, model: judged!, quality: quality(q), cost: 0.001 });
  const personaliser = adaptivePersonaliser(options);
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

const INVERSE: AdaptivePersonaliserOptions = { method: "inverse-error" };

const unseen = ["what is the boiling point of water at altitude", "prove that sqrt 2 is irrational"];

/** A router's predictions for a batch of row-major vectors, one query at a time. */
function batchOf(router: Router, dimension: number): BatchPredictor {
  return (features) => {
    const n = features.length / dimension;
    const m = router.models.length;
    const out = {
      quality: new Float64Array(n * m),
      cost: new Float64Array(n * m),
      available: new Uint8Array(n * m),
    };
    for (let q = 0; q < n; q++) {
      const p = router.predict(features.subarray(q * dimension, (q + 1) * dimension));
      for (let j = 0; j < m; j++) {
        out.quality[q * m + j] = p.quality[j]!;
        out.cost[q * m + j] = p.cost[j]!;
        out.available[q * m + j] = p.available ? p.available[j]! : 1;
      }
    }
    return out;
  };
}

/** The local router of `file`'s kind trained on `set` alone, as the personaliser trains it. */
async function localRouter(file: ModelFile, set: EvaluationSet): Promise<Router> {
  const compute = { trainer: createReferenceTrainer() };
  return loadRouter(await trainLocalModel(file, set, { compute, random: seededRandom(1) }));
}

describe("personalised routing (prior and evidence, the default)", () => {
  it("moves the federation's K-means router toward the local one as far as the client's cells carry it", async () => {
    // The judged model is right on the client's first 30 queries and wrong on the next 30.
    const { client, store, built } = await clientWith(kmeans, 60, (q) => (q < 30 ? 1 : 0));
    const personalised = await client.route(unseen[0]!, { mode: "personalised" });
    const global = await client.route(unseen[0]!);
    const { mixture, evaluations, method } = built();
    expect(method).toBe("prior-evidence");
    expect(evaluations).toBe(60);

    // The weights are the evidence computed independently: the federation's predictions on the
    // client's rows, the local router's held out by 5-fold cross-validation.
    const file = await kmeans.modelFile(client.model!.version);
    const set = (await buildTrainingSet(await store.all(), file.models, file.embedder, embedder)).set;
    const d = set.dimension;
    const federated = batchOf(loadRouter(file), d);
    const heldOut = await heldOutPredictions(
      async (subset) => batchOf(await localRouter(file, subset), d),
      set,
      5,
    );
    const expected = priorEvidenceOf(await federated(set.features), heldOut, set).weights;
    for (let j = 0; j < file.models.length; j++) {
      expect(mixture.quality[j]).toBeCloseTo(1 - expected.quality[j]!, 12);
      expect(mixture.cost[j]).toBeCloseTo(1 - expected.cost[j]!, 12);
    }
    // Each prediction is f + w (l - f), f the federation's and l the local router's.
    const mine = (await localRouter(file, set)).predict((await embedder.embed([unseen[0]!]))[0]!);
    personalised.predictions.forEach((p, j) => {
      const f = global.predictions[j]!.quality;
      const w = expected.quality[j]!;
      const local = mine.available && !mine.available[j] ? f : mine.quality[j]!;
      expect(p.quality).toBeCloseTo(f + w * (local - f), 9);
    });
  });

  it("routes exactly as the federation's router before anything is recorded", async () => {
    const { client, built } = await clientWith(kmeans, 0, () => 1);
    const personalised = await client.route(unseen[1]!, { mode: "personalised" });
    const global = await client.route(unseen[1]!);
    expect(built().evaluations).toBe(0);
    expect(built().method).toBe("prior-evidence");
    expect(personalised.predictions).toEqual(global.predictions);
  });

  it("keeps the federation's prediction for every model the client never judged (MLP on the device)", async () => {
    const { client, built } = await clientWith(mlp, 30, (q) => q % 2);
    const personalised = await client.route(unseen[0]!, { mode: "personalised" });
    const global = await client.route(unseen[0]!);
    expect(built().method).toBe("prior-evidence");
    const w = 1 - built().mixture.quality[0]!;
    expect(w).toBeGreaterThanOrEqual(0);
    expect(w).toBeLessThanOrEqual(1);
    // The local MLP has no statistics for the models the client never judged: the federation's
    // prediction and price stand there, bit for bit.
    for (let j = 1; j < data.benchmark.models.length; j++) {
      expect(personalised.predictions[j]!.quality).toBe(global.predictions[j]!.quality);
      expect(personalised.predictions[j]!.cost).toBe(global.predictions[j]!.cost);
    }
  });
});

describe("personalised routing (the inverse-error mixture, on request)", () => {
  it("mixes the federation's K-means router with one trained on the client's own evaluations", async () => {
    // The client's judged model is right on three queries in four.
    const { client, store, built } = await clientWith(kmeans, 40, (q) => (q % 4 === 0 ? 0 : 1), INVERSE);
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
    const { client, built } = await clientWith(kmeans, 40, () => 1, INVERSE);
    const personalised = await client.route(unseen[1]!, { mode: "personalised" });
    expect(built().mixture.quality[0]).toBeCloseTo(0, 12);
    expect(personalised.predictions[0]!.quality).toBeCloseTo(1, 9);
  });

  it("routes with the federation's router alone before anything is recorded", async () => {
    const { client, built } = await clientWith(kmeans, 0, () => 1, INVERSE);
    const personalised = await client.route(unseen[1]!, { mode: "personalised" });
    const global = await client.route(unseen[1]!);
    expect(built().evaluations).toBe(0);
    expect(personalised.predictions).toEqual(global.predictions);
  });

  it("trains a local MLP on the device and mixes it in", async () => {
    const { client, built } = await clientWith(mlp, 30, (q) => q % 2, INVERSE);
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
