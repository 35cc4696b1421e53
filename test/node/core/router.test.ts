import { describe, expect, it } from "vitest";
import { EmbedderMismatchError } from "../../../core/embedder/embedder.ts";
import { federatedKMeans, type KMeansState } from "../../../core/kmeans/federated.ts";
import { decodeModelFile, encodeModelFile } from "../../../core/model-file.ts";
import { routeVector } from "../../../core/router.ts";
import { loadRouter } from "../../../core/routers/registry.ts";

// Two clusters on the axes of a 2-d space; model "fast" is good near x, "smart" near y.
const state: KMeansState = {
  config: {
    clusters: 2,
    lloydPasses: 1,
    powerPasses: 1,
    tolerance: 0,
    seed: 1,
    prior: 0,
    shrinkage: "fixed",
    softness: 0,
    models: ["fast", "smart"],
    embedder: { id: "toy", dimension: 2 },
    tags: [],
  },
  phase: "done",
  size: 2,
  pass: 0,
  lastError: 0,
  centroids: Float32Array.from([1, 0, 0, 1]),
  // [count (2x2), quality sums, cost sums, quality squares, cost squares], cells ordered
  // (cluster, model); qualities are 0 or 1, each cell's costs equal.
  stats: Float64Array.from([
    10, 10, 10, 0, 9, 5, 2, 0, 0.01, 0.1, 0.02, 0, 9, 5, 2, 0, 0.00001, 0.001, 0.00004, 0,
  ]),
};

describe("a router loaded from its model file", () => {
  const router = loadRouter(decodeModelFile(encodeModelFile(federatedKMeans.toModelFile(state))));
  const toy = { id: "toy", dimension: 2 };

  it("routes by nearest centroid and the routing rule", () => {
    const nearX = routeVector(router, Float32Array.from([0.9, 0.1]), toy, { lambda: 0 });
    expect(nearX.model).toBe("fast");
    expect(nearX.candidates[0]).toMatchObject({ quality: 0.9, cost: 0.001 });
    expect(nearX.candidates[1]).toMatchObject({ quality: 0.5, cost: 0.01 });
  });

  it("never chooses a cell nobody observed", () => {
    // Cluster y never saw "smart": only "fast" is eligible there.
    const nearY = routeVector(router, Float32Array.from([0, 1]), toy, { lambda: 0 });
    expect(nearY.model).toBe("fast");
    expect(nearY.candidates[1]?.eligible).toBe(false);
  });

  it("refuses vectors from another embedder with a clear error", () => {
    expect(() => routeVector(router, Float32Array.from([1, 0]), { id: "other", dimension: 2 })).toThrow(
      EmbedderMismatchError,
    );
    expect(() => routeVector(router, Float32Array.from([1, 0, 0]), toy)).toThrow(/3 dimensions/);
  });

  it("refuses an unknown router kind", () => {
    expect(() => loadRouter({ ...federatedKMeans.toModelFile(state), kind: "forest" })).toThrow(
      /no router of kind "forest"/,
    );
  });
});

describe("an MLP router loaded from its model file", () => {
  it("routes with the same predictions as the MLP's own batch prediction", async () => {
    const { initialMlpState, mlpToModelFile, mlpRouter, predictMlp } = await import(
      "../../../core/mlp/index.ts"
    );
    const embedder = { id: "toy-8", dimension: 8 };
    const state = initialMlpState({ models: ["a", "b", "c"], embedder, hidden: 16 });
    // Cost statistics as the first pass would give them: mu and sigma of log1p(cost) per model.
    state.costStats = {
      mu: Float64Array.from([0.0025, 0.005, 0.01]),
      sigma: Float64Array.from([1e-4, 2e-4, 5e-3]),
    };
    const router = loadRouter(decodeModelFile(encodeModelFile(mlpToModelFile(state))));
    const vector = Float32Array.from({ length: 8 }, (_, i) => Math.cos(i));
    const direct = predictMlp(mlpRouter(state), vector, 1);
    const decision = routeVector(router, vector, embedder, { lambda: 10 });
    decision.candidates.forEach((c, j) => {
      expect(c.quality).toBeCloseTo(direct.quality[j]!, 6);
      expect(c.cost).toBeCloseTo(direct.cost[j]!, 9);
    });
  });
});
