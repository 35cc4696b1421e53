import { describe, expect, it } from "vitest";
import { selectQueries } from "../../../../core/data/benchmark.ts";
import { type EvaluationSet, evaluationSet } from "../../../../core/data/evaluations.ts";
import { syntheticBenchmark } from "../../../../core/data/synthetic.ts";
import { hashingEmbedder } from "../../../../core/embedder/hashing.ts";
import { simulate } from "../../../../core/federated.ts";
import {
  addModels,
  federatedKMeans,
  initialKMeansState,
  JOINING_CLUSTER_SHARE,
  joinClusters,
  type KMeansState,
  startJoin,
} from "../../../../core/kmeans/federated.ts";
import { STATS_PARTS, statsFromSums } from "../../../../core/kmeans/router.ts";
import { seededRandom } from "../../../../core/random.ts";

async function sets(models: number, count: number, seed: number): Promise<EvaluationSet[]> {
  const benchmark = syntheticBenchmark({ seed, queries: 300, models: 4 });
  const features = await hashingEmbedder({ dimension: 32 }).embed(benchmark.prompts);
  const random = seededRandom(seed);
  const narrowed = { ...benchmark, models: benchmark.models.slice(0, models) };
  const m = benchmark.models.length;
  narrowed.quality = benchmark.quality.filter((_, i) => i % m < models);
  narrowed.cost = benchmark.cost.filter((_, i) => i % m < models);
  return Array.from({ length: count }, (_, c) => {
    const rows = benchmark.ids.map((_, i) => i).filter((i) => i % count === c);
    return evaluationSet(
      selectQueries(narrowed, rows),
      rows.map((r) => features[r] as Float32Array),
      () => random() < 0.4,
    );
  });
}

const embedder = { id: "hashing-test", dimension: 32 };
const options = { random: seededRandom(1) };

describe("growing a K-means router", () => {
  it("learns only the new models' statistics when models are added, keeping the old ones exactly", async () => {
    const base = await simulate(
      federatedKMeans,
      initialKMeansState({ models: ["a", "b"], embedder, clusters: 3 }),
      await sets(2, 3, 4),
      options,
    );
    const extending = addModels(base, ["c", "d"]);
    expect(federatedKMeans.contributionLength(extending)).toBe(STATS_PARTS * 3 * 2);
    const grown = await simulate(federatedKMeans, extending, await sets(4, 3, 4), options);
    expect(Array.from(grown.centroids)).toEqual(Array.from(base.centroids));
    const before = statsFromSums(base.stats!, 3, 2);
    const after = statsFromSums(grown.stats!, 3, 4);
    for (let k = 0; k < 3; k++) {
      for (let j = 0; j < 2; j++) {
        expect(after.count[k * 4 + j]).toBe(before.count[k * 2 + j]);
        expect(after.qualitySum[k * 4 + j]).toBe(before.qualitySum[k * 2 + j]);
      }
    }
    const newCounts = [0, 1, 2].flatMap((k) => [after.count[k * 4 + 2]!, after.count[k * 4 + 3]!]);
    expect(newCounts.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(() => addModels(grown, ["a"])).toThrow(/already in the router/);
  });

  it("appends joining clients' clusters, keeps the federation's statistics, and seeds the new ones from them", async () => {
    const config = { models: ["a", "b", "c", "d"], embedder, clusters: 3 };
    const base = await simulate(federatedKMeans, initialKMeansState(config), await sets(4, 3, 5), options);
    const joiningData = await sets(4, 2, 9);
    const theirs = await simulate(
      federatedKMeans,
      initialKMeansState({ ...config, clusters: 2 }),
      joiningData,
      options,
    );
    // Seeded with 8 pseudo-observations of the old router per new cell.
    const joined = await simulate(
      federatedKMeans,
      joinClusters(base, theirs, { distillation: 8 }),
      joiningData,
      options,
    );
    expect(joined.size).toBe(5);
    const old = statsFromSums(base.stats!, 3, 4);
    const now = statsFromSums(joined.stats!, 5, 4);
    // The old clusters only gain the joining clients' evaluations.
    for (let cell = 0; cell < 12; cell++) expect(now.count[cell]).toBeGreaterThanOrEqual(old.count[cell]!);
    // Every new cluster holds at least the distilled pseudo-observations for each known model.
    for (let cell = 12; cell < 20; cell++) expect(now.count[cell]).toBeGreaterThanOrEqual(8);
    // By default nothing is seeded: the new cells hold the joining clients' evaluations only.
    const plain = await simulate(federatedKMeans, joinClusters(base, theirs), joiningData, options);
    const own = statsFromSums(plain.stats!, 5, 4);
    for (let cell = 12; cell < 20; cell++) expect(own.count[cell]).toBe(now.count[cell]! - 8);
    expect(() => joinClusters(base, theirs, { distillation: -1 })).toThrow(RangeError);
  });

  it("runs the joining organisations' clustering and the join as one sequence of passes, resumable from any published file", async () => {
    const config = { models: ["a", "b", "c", "d"], embedder, clusters: 4 };
    const base = await simulate(federatedKMeans, initialKMeansState(config), await sets(4, 3, 5), options);
    const joiningData = await sets(4, 2, 9);
    // The two steps the harness used to take: their own clustering, then joinClusters.
    const theirs = await simulate(
      federatedKMeans,
      initialKMeansState({ ...config, clusters: Math.round(4 * JOINING_CLUSTER_SHARE) }),
      joiningData,
      options,
    );
    const twoSteps = await simulate(federatedKMeans, joinClusters(base, theirs), joiningData, options);
    // One sequence, every state passing through its model file as it would over the edge.
    let state: KMeansState = startJoin(base);
    let passes = 0;
    while (!federatedKMeans.done(state)) {
      state = federatedKMeans.fromModelFile(federatedKMeans.toModelFile(state));
      expect(state.joinBase === undefined).toBe(state.phase === "join");
      const total = new Float64Array(federatedKMeans.contributionLength(state));
      for (const set of joiningData) {
        const part = await federatedKMeans.contribute(state, set, seededRandom(0));
        for (let i = 0; i < total.length; i++) total[i]! += part[i]!;
      }
      state = federatedKMeans.finalise(state, total);
      passes++;
    }
    expect(passes).toBeGreaterThan(2);
    expect(state.size).toBe(base.size + theirs.size);
    expect([...state.centroids]).toEqual([...twoSteps.centroids]);
    expect([...state.stats!]).toEqual([...twoSteps.stats!]);
    expect([...state.centroids.subarray(0, base.size * 32)]).toEqual([...base.centroids]);
    expect(() => startJoin(initialKMeansState(config))).toThrow(/trained router/);
  });
});
