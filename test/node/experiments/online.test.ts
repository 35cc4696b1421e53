// The online scenario on a small synthetic federation: every policy with and without weights,
// a row per round, the default named, the references beside them; and the plot and tables render.
import { describe, expect, it } from "vitest";
import { syntheticBenchmark } from "../../../core/data/synthetic.ts";
import { hashingEmbedder } from "../../../core/embedder/hashing.ts";
import { kmeansKind } from "../../../core/kmeans/kind.ts";
import { exchangeRateLambda, onlineScenario } from "../../../experiments/online.ts";
import { onlineOptions } from "../../../experiments/online-command.ts";
import { onlinePlotSvg, onlineRoundTable, onlineSummary } from "../../../experiments/online-report.ts";

const benchmark = syntheticBenchmark({ seed: 3, queries: 400, tasks: 4, models: 4 });

async function run(start: "first-version" | "seed-set") {
  return onlineScenario(benchmark, {
    seed: 2,
    kind: await kmeansKind.experiment({ clusters: 4 }),
    embedder: hashingEmbedder({ dimension: 32 }),
    clients: 4,
    batch: 30,
    rounds: 3,
    start,
  });
}

describe("the online scenario", () => {
  it("reports every policy with and without weights after each round, and the default", async () => {
    const result = await run("first-version");
    expect(result.policies.map((p) => `${p.policy} ${p.weighting}`)).toEqual([
      "greedy ips",
      "greedy none",
      "epsilon-greedy ips",
      "epsilon-greedy none",
      "softmax ips",
      "softmax none",
    ]);
    expect(result.default).toEqual({ policy: "softmax", weighting: "ips" });
    for (const p of result.policies) {
      expect(p.rounds.map((r) => r.round)).toEqual([1, 2, 3]);
      expect(p.final).toEqual({ utility: p.rounds[2]!.utility, auc: p.rounds[2]!.auc });
      for (const r of p.rounds) expect(r.auc).toBeGreaterThan(0);
    }
    // Round 1 routes uniformly from the first version under every policy: the same draws.
    const first = result.policies.map((p) => p.rounds[0]!.utility);
    expect(new Set(first).size).toBe(1);
    expect(result.global.paperFederated).toBeGreaterThan(0);
    expect(result.global.queryBlind).toBeGreaterThan(0);
    expect(result.global.taskLookup).toBeGreaterThan(0);
    expect(onlineRoundTable(result).split("\n")).toHaveLength(2 + 3);
    expect(onlineSummary(result)).toMatch(/default \(softmax ips\) - greedy none/);
    expect(onlinePlotSvg(result)).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
  });

  it("starts from an offline seed set when asked, so the policies differ from the first round", async () => {
    const result = await run("seed-set");
    expect(result.settings).toMatchObject({ start: "seed-set", seedShare: 0.1 });
    const first = result.policies.map((p) => p.rounds[0]!.utility);
    expect(new Set(first).size).toBeGreaterThan(1);
  });

  it("runs only the pairs asked for, in that order, at the weight clip asked for", async () => {
    const kind = await kmeansKind.experiment({ clusters: 4 });
    const embedder = hashingEmbedder({ dimension: 32 });
    const options = onlineOptions(
      { seed: 2, kind, embedder, clients: 4 },
      { runs: "softmax:ips,greedy:none", "weight-clip": "3", batch: "30", "online-rounds": "2" },
    );
    expect(options.runs).toEqual([
      { policy: "softmax", weighting: "ips" },
      { policy: "greedy", weighting: "none" },
    ]);
    const result = await onlineScenario(benchmark, options);
    expect(result.policies.map((p) => `${p.policy} ${p.weighting}`)).toEqual(["softmax ips", "greedy none"]);
    expect(result.settings.weightClip).toBe(3);
    expect(onlineSummary(result)).toMatch(/default \(softmax ips\) - greedy none/);
    expect(result.policies[0]!.final.meanAuc).toBeUndefined();
    // The default follows the router kind: an MLP federation's is greedy (core/exploration.ts).
    const asMlp = await onlineScenario(benchmark, { ...options, kind: { ...kind, name: "mlp" }, rounds: 1 });
    expect(asMlp.default).toEqual({ policy: "greedy", weighting: "ips" });
    for (const bad of ["softmax:both", "boltzmann:ips", "softmax:ips:x"])
      expect(() => onlineOptions({ seed: 2, kind, embedder }, { runs: bad })).toThrow(/--runs/);
    expect(() => onlineOptions({ seed: 2, kind, embedder }, { "weight-clip": "0.5" })).toThrow(
      /--weight-clip/,
    );
  });

  it("reports the mean AUC of several trainings of the last version and of the paper-protocol router when asked", async () => {
    const kmeans = await kmeansKind.experiment({ clusters: 4 });
    // Each training's first draw: the further trainings must each get a stream of their own.
    const draws: number[] = [];
    const seeds: number[] = [];
    const kind: typeof kmeans = {
      ...kmeans,
      federated: (sets, context) => {
        draws.push(context.random());
        seeds.push(context.seed);
        return kmeans.federated(sets, context);
      },
    };
    const result = await onlineScenario(benchmark, {
      seed: 2,
      kind,
      embedder: hashingEmbedder({ dimension: 32 }),
      clients: 4,
      batch: 30,
      rounds: 2,
      runs: [
        { policy: "greedy", weighting: "none" },
        { policy: "softmax", weighting: "ips" },
      ],
      finalTrainings: 3,
    });
    expect(result.settings.finalTrainings).toBe(3);
    for (const p of result.policies) {
      const { auc, aucs, meanAuc } = p.final;
      expect(aucs).toHaveLength(3);
      expect(aucs![0]).toBe(auc);
      expect(meanAuc).toBeCloseTo((aucs![0]! + aucs![1]! + aucs![2]!) / 3, 12);
    }
    // The paper-protocol router 3 times, then per pair 2 rounds and 2 further trainings.
    expect(draws).toHaveLength(3 + 2 * (2 + 2));
    // Each training of a version on a stream of its own; every pair on the same streams.
    expect(new Set(draws.slice(0, 3)).size).toBe(3);
    expect(new Set(draws.slice(3, 7)).size).toBe(4);
    expect(draws.slice(7)).toEqual(draws.slice(3, 7));
    // And a seed of its own (the MLP draws its initial weights and cohorts from the seed alone).
    expect(new Set(seeds.slice(0, 3)).size).toBe(3);
    expect(seeds.slice(3, 5)).toEqual([2, 2]);
    expect(new Set(seeds.slice(4, 7)).size).toBe(3);
    expect(result.global.paperFederatedMean).toBeGreaterThan(0);
    expect(onlineSummary(result)).toMatch(/over 3 trainings each: - greedy none [+-]\d\.\d{3} AUC/);
  });

  it("prices cost at the rate where the best and the cheapest single model tie", () => {
    const test = {
      n: 2,
      modelCount: 2,
      features: new Float32Array(2),
      quality: Float64Array.of(0.5, 0.9, 0.5, 0.7),
      cost: Float64Array.of(0.001, 0.011, 0.001, 0.011),
    };
    // Best: model 1 (0.8 mean), cheapest model 0 (0.5): 0.3 quality for 0.01 USD.
    expect(exchangeRateLambda(test)).toBeCloseTo(30, 9);
  });
});
