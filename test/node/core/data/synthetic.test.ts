import { describe, expect, it } from "vitest";
import { modelMeans } from "../../../../core/data/benchmark.ts";
import { syntheticBenchmark } from "../../../../core/data/synthetic.ts";

describe("the synthetic benchmark", () => {
  it("is reproducible for a seed and differs across seeds", () => {
    const a = syntheticBenchmark({ seed: 4, queries: 200 });
    const b = syntheticBenchmark({ seed: 4, queries: 200 });
    const c = syntheticBenchmark({ seed: 5, queries: 200 });
    expect(a.prompts).toEqual(b.prompts);
    expect(Array.from(a.quality)).toEqual(Array.from(b.quality));
    expect(a.prompts).not.toEqual(c.prompts);
  });

  it("spreads prices over orders of magnitude, with dearer models better on average", () => {
    const benchmark = syntheticBenchmark({ seed: 1, queries: 3000, models: 6 });
    const { quality, cost } = modelMeans(benchmark);
    expect(cost[5]! / cost[0]!).toBeGreaterThan(300);
    expect(quality[5]).toBeGreaterThan(quality[0]!);
  });

  it("gives each task its own best model, so routing by task pays", () => {
    const benchmark = syntheticBenchmark({ seed: 1, queries: 6000, tasks: 6, models: 6 });
    const m = benchmark.models.length;
    const best = new Set<number>();
    for (const task of new Set(benchmark.tasks)) {
      const sums = new Float64Array(m);
      benchmark.tasks.forEach((t, q) => {
        if (t !== task) return;
        for (let j = 0; j < m; j++) sums[j]! += benchmark.quality[q * m + j]!;
      });
      best.add(sums.indexOf(Math.max(...sums)));
    }
    expect(best.size).toBeGreaterThan(1);
  });
});
