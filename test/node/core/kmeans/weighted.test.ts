// Inverse-propensity weights in the K-means router: each observation counts with its weight in the
// statistics pass, through the same secure sums as unweighted ones, so that a cell's mean is the
// self-normalised IPS estimate; the clustering itself (which model was chosen does not move a query)
// is unchanged.
import { describe, expect, it } from "vitest";
import type { EvaluationSet } from "../../../../core/data/evaluations.ts";
import { propensityWeights } from "../../../../core/exploration.ts";
import { simulate, sumContributions } from "../../../../core/federated.ts";
import { federatedKMeans, initialKMeansState } from "../../../../core/kmeans/federated.ts";
import { nearestCentroid } from "../../../../core/kmeans/geometry.ts";
import { kmeansKind } from "../../../../core/kmeans/kind.ts";
import { STATS_PARTS, statsFromSums, statsSums } from "../../../../core/kmeans/router.ts";
import { seededRandom } from "../../../../core/random.ts";
import { edgeTotal } from "../../../support/edge-total.ts";

/** A routed query: 2-d embedding, the chosen model, its quality, cost and propensity (NaN: offline). */
type Routed = [x: number, y: number, model: number, quality: number, cost: number, propensity: number];

// Cluster A near (1, 0), cluster B near (0, 1).
const CLIENT_ONE: Routed[] = [
  [1, 0, 0, 1, 2, 0.9],
  [1, 0.05, 0, 0, 2, 0.1],
  [0.95, 0, 1, 1, 5, 0.05],
  [0, 1, 1, 0.5, 4, Number.NaN],
];
const CLIENT_TWO: Routed[] = [
  [0.9, 0.1, 0, 1, 1, 0.5],
  [0.1, 0.9, 1, 0.25, 3, 0.2],
  [0, 0.95, 0, 0.75, 1, 0.8],
];

function clientSet(queries: Routed[], weighted: boolean): EvaluationSet {
  const set: EvaluationSet = {
    n: queries.length,
    dimension: 2,
    modelCount: 2,
    features: new Float32Array(queries.length * 2),
    quality: new Float32Array(queries.length * 2),
    cost: new Float32Array(queries.length * 2),
    observed: new Uint8Array(queries.length * 2),
  };
  const propensities = new Float64Array(queries.length * 2).fill(Number.NaN);
  for (const [q, [x, y, model, quality, cost, propensity]] of queries.entries()) {
    set.features.set([x, y], q * 2);
    set.quality[q * 2 + model] = quality;
    set.cost[q * 2 + model] = cost;
    set.observed[q * 2 + model] = 1;
    propensities[q * 2 + model] = propensity;
  }
  if (weighted) set.weight = propensityWeights(propensities, 10);
  return set;
}

const config = {
  models: ["small", "large"],
  embedder: { id: "toy", dimension: 2 },
  tags: [],
  clusters: 2,
  shrinkage: "fixed" as const,
  prior: 2,
};

const train = (weighted: boolean) => {
  const clients = [clientSet(CLIENT_ONE, weighted), clientSet(CLIENT_TWO, weighted)];
  return {
    clients,
    trained: simulate(federatedKMeans, initialKMeansState(config), clients, { random: seededRandom(1) }),
  };
};

describe("propensity-weighted K-means statistics", () => {
  it("sums through secure aggregation the weighted statistics the plain simulation sums", async () => {
    const { clients, trained } = train(true);
    const state = await trained;
    const atStats = { ...state, phase: "stats" as const };
    const contributions = await Promise.all(
      clients.map((c) => federatedKMeans.contribute(atStats, c, seededRandom(0))),
    );
    const { total, context } = edgeTotal(contributions);
    expect(total.length).toBe(STATS_PARTS * 2 * 2);
    for (const [i, value] of state.stats!.entries())
      expect(Math.abs(total[i]! - value)).toBeLessThanOrEqual(context.resolution);
    // Weighted counts are not whole, and the edge still accepts the total.
    expect(kmeansKind.checkTotal(atStats, total, context)).toBeUndefined();
    const plain = sumContributions(
      clients.map((c) => statsSums(c, state.centroids, 2)),
      total.length,
    );
    for (const [i, value] of plain.entries()) expect(state.stats![i]).toBeCloseTo(value, 5);
  });

  it("makes each cell's mean the self-normalised inverse-propensity estimate", async () => {
    const { clients, trained } = train(true);
    const state = await trained;
    const stats = statsFromSums(state.stats!, 2, 2);
    const a = nearestCentroid(Float32Array.of(1, 0), 0, state.centroids, 2, 2).cluster;
    // Cluster A, model 0: client one's qualities 1 (p 0.9) and 0 (p 0.1), client two's 1 (p 0.5).
    const w = [clients[0]!.weight![0]!, clients[0]!.weight![2]!, clients[1]!.weight![0]!];
    const expected = (w[0]! * 1 + w[1]! * 0 + w[2]! * 1) / (w[0]! + w[1]! + w[2]!);
    expect(stats.qualitySum[a * 2]! / stats.count[a * 2]!).toBeCloseTo(expected, 6);
    // Unweighted, the rarely chosen failure counts as one of three.
    const plain = statsFromSums((await train(false).trained).stats!, 2, 2);
    expect(plain.qualitySum[a * 2]! / plain.count[a * 2]!).toBeCloseTo(2 / 3, 6);
    expect(expected).toBeLessThan(2 / 3);
  });

  it("leaves the clustering as the unweighted run has it", async () => {
    const weighted = await train(true).trained;
    const plain = await train(false).trained;
    expect(Array.from(weighted.centroids)).toEqual(Array.from(plain.centroids));
  });
});
