// A federation with a tag vocabulary on the real worker: the edge stores the vocabulary, shows it
// in the configuration, refuses a bad one with invalid_tags, and a K-means router trained over
// secure rounds on rows of embedding and tag indicators is the plain simulation of its clients.
import { describe, expect, it } from "vitest";
import { concatEvaluationSets, type EvaluationSet } from "../../../core/data/evaluations.ts";
import { simulate } from "../../../core/federated.ts";
import { federatedKMeans, type KMeansState } from "../../../core/kmeans/federated.ts";
import { inputWidth } from "../../../core/model-file.ts";
import { seededRandom } from "../../../core/random.ts";
import { loadRouter, routerKind } from "../../../core/routers/registry.ts";
import { MAX_TAG_LENGTH, MAX_TAGS, withTagIndicators } from "../../../core/routers/tags.ts";
import { seededEvaluationSet } from "../../support/evaluation-sets.ts";
import { call, createFederation, createTenant, expectStatus, federationConfig } from "../support/api.ts";
import { kindSetup, wholeCohortRounds } from "../support/federation-config.ts";
import { latestModel, plainSum, runRound } from "../support/rounds.ts";

const vocabulary = ["billing", "code", "support"];

// Eight clients, t = 5 (a majority of 8), values clipped to [-64, 64]: K-means sends counts of up to
// 40 queries per cluster.
const overrides = {
  router: { kind: "kmeans", hyperparameters: { clusters: 2, lloydPasses: 2, powerPasses: 1 } },
  tags: vocabulary,
  ...wholeCohortRounds(8),
  clipping: { min: -64, max: 64 },
};
const config = federationConfig(overrides);

/**
 * Each client's rows: a seeded embedding scaled into the unit ball (so K-means does not rescale it)
 * followed by the indicators of the query's tags, some outside the vocabulary.
 */
function taggedSets(clientIds: readonly string[]): Map<string, EvaluationSet> {
  const random = seededRandom(5);
  const choices = [["billing"], ["code", "unknown"], [], ["support"], ["other"]];
  const shape = { queries: 40, dimension: config.embedder.dimension, models: config.models.length };
  return new Map(
    clientIds.map((id, c) => {
      const set = seededEvaluationSet(random, shape);
      for (let i = 0; i < set.features.length; i++) set.features[i]! /= 4;
      const tags = Array.from({ length: set.n }, (_, q) => choices[(q + c) % choices.length]!);
      return [id, withTagIndicators(set, tags, vocabulary)];
    }),
  );
}

describe("a federation with a tag vocabulary", () => {
  it("stores the vocabulary, shows it in its configuration and records it in every model file", async () => {
    const handle = await createFederation(await createTenant(), 0, overrides);
    const federation = await expectStatus(200, "GET", `/v1/federations/${handle.federationId}`, {
      token: handle.ownerToken,
    });
    expect(federation.config.tags).toEqual(vocabulary);
    const { file } = await latestModel(handle);
    expect(file.tags).toEqual(vocabulary);
    expect(inputWidth(file)).toBe(config.embedder.dimension + vocabulary.length);
  });

  it("is documented in the OpenAPI document with its bounds", async () => {
    const reply = await call("GET", "/v1/openapi.json");
    const { schemas } = reply.body.components;
    expect(schemas.FederationConfig.properties.tags).toEqual({ $ref: "#/components/schemas/TagVocabulary" });
    expect(schemas.TagVocabulary.maxItems).toBe(MAX_TAGS);
    expect(schemas.TagVocabulary.items.maxLength).toBe(MAX_TAG_LENGTH);
    expect(schemas.FederationConfig.required).not.toContain("tags");
  });

  it.each([
    ["a duplicate", ["code", "code"], /unique/],
    ["an empty tag", [""], /tags\[0\]/],
    ["a long tag", ["x".repeat(MAX_TAG_LENGTH + 1)], /tags\[0\]/],
    ["a control character", ["a\tb"], /control characters/],
    ["too many tags", Array.from({ length: MAX_TAGS + 1 }, (_, i) => `t${i}`), /tags/],
    ["a number", [7], /tags\[0\]/],
  ])("refuses %s with 422 invalid_tags", async (_, tags, message) => {
    const tenant = await createTenant();
    const reply = await call("POST", "/v1/federations", {
      token: tenant.ownerToken,
      json: { ...config, tags },
    });
    expect(reply.status).toBe(422);
    expect(reply.body.error.code).toBe("invalid_tags");
    expect(reply.body.error.message).toMatch(message);
  });

  it("keeps invalid_request for a body wrong in other fields too", async () => {
    const tenant = await createTenant();
    const reply = await call("POST", "/v1/federations", {
      token: tenant.ownerToken,
      json: { ...config, name: "", tags: ["code", "code"] },
    });
    expect(reply.status).toBe(400);
    expect(reply.body.error.code).toBe("invalid_request");
  });

  it("trains K-means over secure rounds on tagged rows into the plain simulation of its clients", async () => {
    const handle = await createFederation(await createTenant(), 8, overrides);
    const sets = taggedSets(handle.clients.map((c) => c.clientId));
    let global: KMeansState = federatedKMeans.fromModelFile((await latestModel(handle)).file);
    let rounds = 0;
    while (!federatedKMeans.done(global)) {
      const state = global;
      const run = await runRound(
        handle,
        (id) => federatedKMeans.contribute(state, sets.get(id)!, seededRandom(0)) as Float64Array,
        new Map(),
        ++rounds,
      );
      expect(run.summary.outcome).toEqual({ kind: "published", version: rounds });
      const expected = federatedKMeans.finalise(
        state,
        plainSum(run.survivors, run.summary.secureAggregation.scale),
      );
      // The owner reads every version; clients read final ones (below).
      const { file } = await latestModel(handle);
      expect(file.tags).toEqual(vocabulary);
      global = federatedKMeans.fromModelFile(file);
      expect(Array.from(global.centroids)).toEqual(Array.from(expected.centroids));
      expect(global.stats ? Array.from(global.stats) : null).toEqual(
        expected.stats ? Array.from(expected.stats) : null,
      );
    }
    expect(rounds).toBeGreaterThan(2);

    // The simulation sums the same rows without masks or fixed point: the edge's router routes the
    // same, to within fixed-point resolution, on every client's tagged rows.
    const kind = routerKind("kmeans");
    const clients = [...sets.values()];
    const simulated = await simulate(
      federatedKMeans,
      kind.initialState({ ...kindSetup(config), tags: vocabulary }) as KMeansState,
      clients,
      { random: seededRandom(1) },
    );
    expect(global.size).toBe(simulated.size);
    // Counts, quality and cost sums are dyadic: they survive fixed-point encoding exactly.
    expect(Array.from(global.stats!)).toEqual(Array.from(simulated.stats!));
    const router = loadRouter((await latestModel(handle, handle.clients[0]!.token)).file);
    const reference = kind.router(simulated);
    const pooled = concatEvaluationSets(clients);
    const width = pooled.dimension;
    for (let q = 0; q < pooled.n; q++) {
      const row = pooled.features.subarray(q * width, (q + 1) * width);
      const got = router.predict(row);
      const want = reference.predict(row);
      // Soft assignment weighs clusters by distance, so centroids that differ by fixed-point
      // rounding move predictions by about as much.
      expect(Array.from(got.quality)).toEqual(Array.from(want.quality, (v) => expect.closeTo(v, 6)));
      expect(Array.from(got.cost)).toEqual(Array.from(want.cost, (v) => expect.closeTo(v, 6)));
    }
  });
});
