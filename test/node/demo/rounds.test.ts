// How the main job plans rounds over the edge: the experiment's cohorts, the dropout drills that
// keep its sums, and the bound on the rounds left that the progress bar shows.
import { describe, expect, it } from "vitest";
import { syntheticBenchmark } from "../../../core/data/synthetic.ts";
import { hashingEmbedder } from "../../../core/embedder/hashing.ts";
import { roundSchedule, simulate } from "../../../core/federated.ts";
import { federatedKMeans, initialKMeansState } from "../../../core/kmeans/federated.ts";
import { initialMlpState } from "../../../core/mlp/state.ts";
import { dropoutDrills, planPass } from "../../../demo/rounds.ts";
import { prepareExperiment } from "../../../experiments/harness.ts";
import { roundsLeft } from "../../../operator/rounds-left.ts";

describe("round plans", () => {
  it("opens each pass with the schedule's participants, as the experiment simulates it", () => {
    for (const [fraction, size] of [
      [1, 10],
      [0.6, 6],
    ] as const) {
      for (let pass = 0; pass < 5; pass++) {
        const plan = planPass(pass, 10, fraction, 3, []);
        expect(plan.participants).toEqual(roundSchedule(3).participants(pass, 10, fraction));
        expect(plan.cohort).toEqual(plan.participants);
        expect(plan.cohort).toHaveLength(size);
      }
    }
  });

  it("drops a participant after its masked input (still summed) or a spare member after its keys", () => {
    const kmeans = planPass(2, 10, 1, 1, dropoutDrills(1));
    expect(kmeans.cohort).toEqual(kmeans.participants);
    expect(kmeans.dropped).toHaveLength(1);
    expect(kmeans.dropped[0]!.stopAfter).toBe("masked_input");
    expect(kmeans.participants).toContain(kmeans.dropped[0]!.organisation);

    const mlp = planPass(1, 10, 0.6, 1, dropoutDrills(0.6));
    expect(mlp.participants).toHaveLength(6);
    expect(mlp.cohort).toHaveLength(7);
    const spare = mlp.dropped[0]!;
    expect(spare.stopAfter).toBe("share_keys");
    expect(mlp.participants).not.toContain(spare.organisation);
    expect(mlp.cohort).toContain(spare.organisation);
    // Passes without a drill, and a spare drill when everyone takes part, drop nobody.
    expect(planPass(0, 10, 0.6, 1, dropoutDrills(0.6)).dropped).toEqual([]);
    expect(planPass(1, 10, 1, 1, dropoutDrills(0.6)).dropped).toEqual([]);
  });

  it("bounds the rounds left from above, exactly for the MLP and tightly at the end for K-means", async () => {
    const embedder = hashingEmbedder({ dimension: 64 });
    const info = { id: embedder.id, dimension: embedder.dimension };
    const models = ["a", "b", "c"];
    // The statistics pass, four rounds and the calibration pass.
    expect(roundsLeft(initialMlpState({ models, embedder: info, rounds: 4 }))).toBe(6);
    expect(roundsLeft(initialMlpState({ models, embedder: info, rounds: 4, calibrate: false }))).toBe(5);

    const benchmark = syntheticBenchmark({ seed: 4, queries: 240, models: 3 });
    const prepared = await prepareExperiment(benchmark, { seed: 4, embedder, clients: 4 });
    const bounds: number[] = [];
    const passes: number[] = [];
    const recording = {
      ...federatedKMeans,
      finalise(state: Parameters<typeof federatedKMeans.finalise>[0], total: Float64Array) {
        const next = federatedKMeans.finalise(state, total);
        bounds.push(roundsLeft(next));
        return next;
      },
    };
    const initial = initialKMeansState({ models: benchmark.models, embedder: info, clusters: 4 });
    const before = roundsLeft(initial);
    await simulate(recording, initial, prepared.trainSets, {
      random: prepared.context.random,
      schedule: roundSchedule(4),
      onPass: (pass) => passes.push(pass),
    });
    const total = passes.length;
    expect(before).toBeGreaterThanOrEqual(total);
    for (const [i, left] of bounds.entries())
      expect(left, `after pass ${i}`).toBeGreaterThanOrEqual(total - i - 1);
    expect(bounds.at(-1)).toBe(0);
    expect(bounds.at(-2)).toBe(1);
  });
});
