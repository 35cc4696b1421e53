// Context tags in the K-means router: per (cluster, tag, model) statistics learned through the same
// secure sums as the rest, and the hierarchy model mean <- tag mean <- (cluster, tag) mean that a
// tagged query reads, on a hand-made federation.
import { describe, expect, it } from "vitest";
import type { EvaluationSet } from "../../../../core/data/evaluations.ts";
import { simulate, sumContributions } from "../../../../core/federated.ts";
import { federatedKMeans, initialKMeansState, kmeansRouter } from "../../../../core/kmeans/federated.ts";
import { nearestCentroid } from "../../../../core/kmeans/geometry.ts";
import { kmeansKind } from "../../../../core/kmeans/kind.ts";
import { predictKMeans, STATS_PARTS, statsFromSums, statsSums } from "../../../../core/kmeans/router.ts";
import { seededRandom } from "../../../../core/random.ts";
import { edgeTotal } from "../../../support/edge-total.ts";

const TAGS = ["billing", "code"];

/** A query: 2-d embedding, its tags, the one model judged, its quality and cost. */
type Query = [x: number, y: number, tags: string[], model: number, quality: number, cost: number];

// Cluster A near (1, 0), cluster B near (0, 1).
const CLIENT_ONE: Query[] = [
  [1, 0, ["billing"], 0, 1, 2],
  [1, 0.05, ["code"], 1, 1, 5],
  [0, 1, ["code"], 1, 0.5, 4],
];
const CLIENT_TWO: Query[] = [
  [0.9, 0.1, ["billing"], 0, 0, 2],
  [0.95, 0, [], 0, 1, 1],
  [0.1, 0.9, ["billing", "code"], 0, 1, 3],
];

/** Rows are the embedding and one indicator per vocabulary tag. */
function clientSet(queries: Query[]): EvaluationSet {
  const width = 2 + TAGS.length;
  const set: EvaluationSet = {
    n: queries.length,
    dimension: width,
    modelCount: 2,
    features: new Float32Array(queries.length * width),
    quality: new Float32Array(queries.length * 2),
    cost: new Float32Array(queries.length * 2),
    observed: new Uint8Array(queries.length * 2),
  };
  for (const [q, [x, y, tags, model, quality, cost]] of queries.entries()) {
    set.features.set([x, y, ...TAGS.map((t) => (tags.includes(t) ? 1 : 0))], q * width);
    set.quality[q * 2 + model] = quality;
    set.cost[q * 2 + model] = cost;
    set.observed[q * 2 + model] = 1;
  }
  return set;
}

const clients = [clientSet(CLIENT_ONE), clientSet(CLIENT_TWO)];
const config = {
  models: ["small", "large"],
  embedder: { id: "toy", dimension: 2 },
  tags: TAGS,
  clusters: 2,
  shrinkage: "fixed" as const,
  prior: 2,
};

async function trained() {
  return simulate(federatedKMeans, initialKMeansState(config), clients, { random: seededRandom(1) });
}

describe("tag statistics of the K-means router", () => {
  it("sums each query into its cluster's slot for every tag it carries, untagged ones in slot 0", async () => {
    const state = await trained();
    const a = nearestCentroid(Float32Array.of(1, 0), 0, state.centroids, 2, 2).cluster;
    const b = 1 - a;
    expect(nearestCentroid(Float32Array.of(0, 1), 0, state.centroids, 2, 2).cluster).toBe(b);
    // Rows are (cluster, slot) with slots [untagged, billing, code]; cells (row, model).
    const stats = statsFromSums(state.stats!, 2 * 3, 2);
    const cell = (cluster: number, slot: number, model: number) => (cluster * 3 + slot) * 2 + model;
    const read = (at: number) => [
      stats.count[at],
      stats.qualitySum[at],
      stats.costSum[at],
      stats.qualitySquares![at],
      stats.costSquares![at],
    ];
    expect(read(cell(a, 0, 0))).toEqual([1, 1, 1, 1, 1]);
    expect(read(cell(a, 1, 0))).toEqual([2, 1, 4, 1, 8]);
    expect(read(cell(a, 2, 1))).toEqual([1, 1, 5, 1, 25]);
    expect(read(cell(b, 1, 0))).toEqual([1, 1, 3, 1, 9]);
    expect(read(cell(b, 2, 0))).toEqual([1, 1, 3, 1, 9]);
    expect(read(cell(b, 2, 1))).toEqual([1, 0.5, 4, 0.25, 16]);
    let total = 0;
    for (const count of stats.count) total += count;
    expect(total).toBe(7);
  });

  it("learns through secure aggregation the statistics the plain simulation sums", async () => {
    const state = await trained();
    const atStats = { ...state, phase: "stats" as const };
    const contributions = await Promise.all(
      clients.map((c) => federatedKMeans.contribute(atStats, c, seededRandom(0))),
    );
    const { total, context } = edgeTotal(contributions);
    expect(total.length).toBe(STATS_PARTS * 2 * 3 * 2);
    for (const [i, value] of state.stats!.entries())
      expect(Math.abs(total[i]! - value)).toBeLessThanOrEqual(context.resolution);
    expect(kmeansKind.checkTotal(atStats, total, context)).toBeUndefined();
    const plain = sumContributions(
      clients.map((c) => statsSums(c, state.centroids, 2, undefined, TAGS.length)),
      total.length,
    );
    expect(Array.from(plain)).toEqual(Array.from(state.stats!));
  });

  it("predicts a tagged query from its (cluster, tag) cell shrunk toward the tag's mean", async () => {
    const router = kmeansRouter(await trained());
    const row = (x: number, y: number, tags: string[]) =>
      Float32Array.of(x, y, ...TAGS.map((t) => (tags.includes(t) ? 1 : 0)));
    // Model 0: 5 observations, quality sum 4 (mean 0.8). Tag billing: 3 of them, sum 2, so
    // (2 + 2 * 0.8) / (3 + 2) = 0.72; cluster A's billing cell: 2, sum 1, so (1 + 2 * 0.72) / 4.
    expect(predictKMeans(router, row(1, 0, ["billing"])).quality[0]).toBeCloseTo(0.61, 12);
    // Untagged: cluster A's cells of model 0 over every slot: 3, sum 2, so (2 + 1.6) / 5.
    expect(predictKMeans(router, row(1, 0, [])).quality[0]).toBeCloseTo(0.72, 12);
    // Two tags: the mean of both (cluster, tag) estimates. Model 1 (mean 0.75 over its 2
    // observations) in cluster B: billing never saw it, so both the tag's and the cell's estimate
    // are 0.75; code saw 1 in A and 0.5 in B, so the tag's mean is (1.5 + 2 * 0.75) / 4 = 0.75 and
    // B's cell (0.5 + 2 * 0.75) / 3.
    const code = (0.5 + 2 * 0.75) / 3;
    const both = predictKMeans(router, row(0, 1, ["billing", "code"]));
    expect(both.quality[1]).toBeCloseTo((0.75 + code) / 2, 12);
  });

  it("refuses client rows without the vocabulary's indicators", async () => {
    const state = initialKMeansState(config);
    const untagged = { ...clients[0]!, dimension: 2, features: Float32Array.of(1, 0, 1, 0.05, 0, 1) };
    expect(() => federatedKMeans.contribute(state, untagged, seededRandom(0))).toThrow(
      /have 2 dimensions, expected 4 \(2-d embedding, 2 tag indicators\)/,
    );
  });
});
