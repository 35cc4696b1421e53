// Fine-tuning a federated K-means router to one client: the federation's clusters, each cell
// re-estimated from the client's own evaluations with the federation's mean as `prior` pseudo-cells.
import { describe, expect, it } from "vitest";
import type { EvaluationSet } from "../../../../core/data/evaluations.ts";
import { fineTunedRouter } from "../../../../core/kmeans/fine-tune.ts";
import { type KMeansRouter, predictKMeansBatch } from "../../../../core/kmeans/router.ts";

/** Two clusters on a line (at 0 and 10), two models. */
const federated: KMeansRouter = {
  dimension: 1,
  clusterCount: 2,
  modelCount: 2,
  centroids: Float32Array.of(0, 10),
  // Cluster 0: model 0 seen 10 times (quality 0.8, cost 2), model 1 never; cluster 1: both 5 times.
  stats: {
    count: Float64Array.of(10, 0, 5, 5),
    qualitySum: Float64Array.of(8, 0, 1, 4),
    costSum: Float64Array.of(20, 0, 5, 10),
  },
  prior: 4,
};

/** The client: three queries near cluster 0, evaluated on model 0 (quality 0, cost 1) and model 1 (1, 3). */
const client: EvaluationSet = {
  n: 3,
  dimension: 1,
  modelCount: 2,
  features: Float32Array.of(0.5, -0.5, 1),
  quality: Float32Array.of(0, 0, 0, 1, 0, 0),
  cost: Float32Array.of(1, 0, 1, 3, 1, 0),
  observed: Uint8Array.of(1, 0, 1, 1, 1, 0),
};

describe("fine-tuning a K-means router to a client", () => {
  it("re-estimates the client's cells with the federation's means as prior pseudo-cells", () => {
    const tuned = fineTunedRouter(federated, client);
    expect([...tuned.centroids]).toEqual([0, 10]);
    // Cluster 0, model 0: 3 own cells (quality 0, cost 1 each) + 4 pseudo-cells at 0.8 and 2.
    expect(tuned.stats.count[0]).toBe(3 + 4);
    expect(tuned.stats.qualitySum[0]).toBeCloseTo(4 * 0.8, 12);
    expect(tuned.stats.costSum[0]).toBeCloseTo(3 * 1 + 4 * 2, 12);
    // Cluster 0, model 1: the federation never saw it there, so only the client's cell counts.
    expect(tuned.stats.count[1]).toBe(1);
    expect(tuned.stats.qualitySum[1]).toBe(1);
    // Cluster 1, where the client has no query: the federation's means, as 4 pseudo-cells.
    expect(tuned.stats.count[2]).toBe(4);
    expect(tuned.stats.qualitySum[2]).toBeCloseTo(4 * 0.2, 12);
    expect(tuned.stats.qualitySum[3]).toBeCloseTo(4 * 0.8, 12);
    // Near cluster 0 the client's low quality for model 0 now outweighs the federation's 0.8.
    const before = predictKMeansBatch(federated, Float32Array.of(0)).quality[0]!;
    const after = predictKMeansBatch(tuned, Float32Array.of(0)).quality[0]!;
    expect(before).toBeGreaterThan(0.7);
    expect(after).toBeLessThan(0.6);
  });

  it("refuses a set of another shape", () => {
    expect(() => fineTunedRouter(federated, { ...client, modelCount: 3 })).toThrow(/models/);
  });
});
