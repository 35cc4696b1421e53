// A third router kind added through the registry alone (the toy "mean" kind of
// test/support/mean-kind.ts) runs on the real worker like the built-in ones: secure rounds until its
// model is final, then a published model that routes as the plain simulation of the same clients.
import { describe, expect, it } from "vitest";
import { concatEvaluationSets } from "../../../core/data/evaluations.ts";
import { simulate } from "../../../core/federated.ts";
import { seededRandom } from "../../../core/random.ts";
import { loadRouter } from "../../../core/routers/registry.ts";
import { seededClientSets } from "../../support/evaluation-sets.ts";
import { MEAN_KIND, meanAlgorithm, meanKind } from "../../support/mean-kind.ts";
import { call, createFederation, createTenant, federationConfig } from "../support/api.ts";
import { evaluationShape, kindSetup, wholeCohortRounds } from "../support/federation-config.ts";
import { latestModel, runRound } from "../support/rounds.ts";

// Eight clients (a power of two above the platform's minimum cohort of 5) and values clipped to
// [-8, 8]: the edge encodes at scale 2^30 / (8 * 8) = 2^24, so the clients' dyadic sums
// (test/support/evaluation-sets.ts) survive fixed-point encoding exactly and the edge's model can be
// compared number for number with the plain simulation. t = 5 is the majority of 8.
const overrides = {
  router: { kind: MEAN_KIND, hyperparameters: { rounds: 2 } },
  ...wholeCohortRounds(8),
  clipping: { min: -8, max: 8 },
};
const config = federationConfig(overrides);

describe("a router kind added through the registry, on the edge", () => {
  it("trains over secure rounds until final and routes as the plain simulation of its clients", async () => {
    const handle = await createFederation(await createTenant(), 8, overrides);
    const sets = seededClientSets(
      handle.clients.map((c) => c.clientId),
      seededRandom(11),
      evaluationShape(4, config),
    );

    // Every client takes part in every pass until the published model says training is done.
    let passes = 0;
    for (;;) {
      const global = meanAlgorithm.fromModelFile((await latestModel(handle)).file);
      if (meanAlgorithm.done(global)) break;
      const run = await runRound(
        handle,
        (id) => meanAlgorithm.contribute(global, sets.get(id)!, seededRandom(0)) as Float64Array,
        new Map(),
        passes + 1,
      );
      passes++;
      expect(run.summary.outcome).toEqual({ kind: "published", version: passes });
      expect(run.survivors).toHaveLength(8);
    }
    expect(passes).toBe(2);
    const refused = await call("POST", `/v1/federations/${handle.federationId}/rounds`, {
      token: handle.ownerToken,
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/final/);

    const { file } = await latestModel(handle, handle.clients[0]!.token);
    const router = loadRouter(file);
    expect(router.kind).toBe(MEAN_KIND);
    expect(router.models).toEqual(config.models.map((m) => m.id));
    const clients = [...sets.values()];
    const initial = meanKind.initialState(kindSetup(config));
    const simulated = await simulate(meanAlgorithm, initial, clients, { random: seededRandom(1) });
    const reference = meanKind.router(simulated);
    const pooled = concatEvaluationSets(clients);
    const { dimension } = config.embedder;
    for (let q = 0; q < pooled.n; q++) {
      const query = pooled.features.subarray(q * dimension, (q + 1) * dimension);
      expect(router.predict(query)).toEqual(reference.predict(query));
    }
    // The simulation's means are each model's mean over every client's observed cells.
    const m = pooled.modelCount;
    const prediction = router.predict(new Float32Array(dimension));
    for (let j = 0; j < m; j++) {
      let count = 0;
      let quality = 0;
      let cost = 0;
      for (let q = 0; q < pooled.n; q++) {
        if (!pooled.observed[q * m + j]) continue;
        count++;
        quality += pooled.quality[q * m + j]!;
        cost += pooled.cost[q * m + j]!;
      }
      expect(count).toBeGreaterThan(0);
      expect(prediction.quality[j]).toBe(quality / count);
      expect(prediction.cost[j]).toBe(cost / count);
    }
  });

  it("refuses a federation of a kind the registry does not know, naming the kind", async () => {
    const tenant = await createTenant();
    const reply = await call("POST", "/v1/federations", {
      token: tenant.ownerToken,
      json: federationConfig({ router: { kind: "median", hyperparameters: {} } }),
    });
    expect(reply.status).toBe(422);
    expect(reply.body.error.code).toBe("invalid_config");
    expect(reply.body.error.message).toContain('"median"');
  });
});
