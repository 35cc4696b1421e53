// The DP experiment on a small synthetic benchmark: private defaults under the user's settings,
// several noise draws per epsilon with their mean, and a ledger within each epsilon.
import { describe, expect, it } from "vitest";
import { syntheticBenchmark } from "../../../core/data/synthetic.ts";
import { hashingEmbedder } from "../../../core/embedder/hashing.ts";
import { privacyExperiment, privacyTable } from "../../../experiments/privacy-experiment.ts";

const benchmark = syntheticBenchmark({ seed: 3, queries: 1200, tasks: 4, models: 4 });

describe("the privacy experiment", () => {
  it("trains K-means with the private defaults, draws the noise several times and reports their mean", async () => {
    const result = await privacyExperiment(benchmark, {
      router: "kmeans",
      seed: 1,
      clients: 40,
      epsilons: [1, 1e6],
      delta: 1e-5,
      embedder: hashingEmbedder({ dimension: 32 }),
      hyperparameters: { clusters: 4 },
      repeats: 3,
    });
    // The user's setting over the private defaults.
    expect(result.hyperparameters).toEqual({ clusters: 4, lloydPasses: 2, powerPasses: 2 });
    for (const row of result.rows) {
      expect(row.aucs).toHaveLength(3);
      expect(row.auc).toBeCloseTo((row.aucs[0]! + row.aucs[1]! + row.aucs[2]!) / 3, 12);
      expect(row.spent).toBeLessThanOrEqual(row.epsilon * 1.001);
      expect(row.passes).toBe(10);
    }
    // At epsilon 1 with 40 clients the noise swamps the sums and the draws route far apart; at
    // negligible noise they agree, within the clip's cost of the non-private router.
    const spread = (aucs: number[]) => Math.max(...aucs) - Math.min(...aucs);
    expect(spread(result.rows[0]!.aucs)).toBeGreaterThan(0.05);
    expect(spread(result.rows[1]!.aucs)).toBeLessThan(0.01);
    for (const auc of result.rows[1]!.aucs) expect(Math.abs(auc - result.nonPrivate)).toBeLessThan(0.02);
    expect(privacyTable(result).split("\n")[2]).toMatch(/^1 .* 3: 0\.\d{4} to 0\.\d{4}$/);
  });
});
