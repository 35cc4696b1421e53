// The MLP family's personalisation and growth in the harness, on a small synthetic benchmark:
// one-epoch fine-tuning, new models (head-only rounds) and new clients (distillation rounds).
import { describe, expect, it } from "vitest";
import { syntheticBenchmark } from "../../../../core/data/synthetic.ts";
import { hashingEmbedder } from "../../../../core/embedder/hashing.ts";
import { mlpKind } from "../../../../core/mlp/kind.ts";
import { seededRandom } from "../../../../core/random.ts";
import type { TrainingContext } from "../../../../core/routers/kind.ts";
import { trainSet } from "../../../../experiments/harness.ts";
import { PROTOCOL_DEFAULTS, splitClients } from "../../../../experiments/protocol.ts";
import { newClientsScenario, newModelsScenario } from "../../../../experiments/scenarios.ts";
import { ortCompute } from "../../../../ort/index.ts";

const embedder = hashingEmbedder({ dimension: 48 });
const benchmark = syntheticBenchmark({ seed: 3, queries: 500, tasks: 4, models: 5 });

async function clientSets() {
  const random = seededRandom(5);
  const splits = splitClients(benchmark, { ...PROTOCOL_DEFAULTS, clients: 4 }, random);
  const features = await embedder.embed(benchmark.prompts);
  return splits.map((s) => trainSet(benchmark, s, features));
}

function context(): TrainingContext {
  return {
    models: benchmark.models,
    embedder: { id: embedder.id, dimension: embedder.dimension },
    random: seededRandom(9),
    seed: 9,
  };
}

describe("the MLP family", () => {
  it("fine-tunes one epoch from the federated router trained last", async () => {
    const family = await mlpKind.experiment({ rounds: 2 }, ortCompute({ backend: "native" }));
    const sets = await clientSets();
    const ctx = context();
    await expect(family.fineTune!(sets[0]!, ctx)).rejects.toThrow(/federated router/);
    const federated = await family.federated(sets, ctx);
    const tuned = await family.fineTune!(sets[0]!, ctx);
    const a = await federated(sets[0]!.features);
    const b = await tuned(sets[0]!.features);
    let change = 0;
    for (let i = 0; i < a.quality.length; i++)
      change = Math.max(change, Math.abs(a.quality[i]! - b.quality[i]!));
    // One epoch moves the router, but stays near where it started.
    expect(change).toBeGreaterThan(1e-4);
    expect(change).toBeLessThan(0.5);
  });

  it("adds models: the router before cannot choose them, the router after predicts them", async () => {
    const result = await newModelsScenario(benchmark, {
      seed: 2,
      kind: await mlpKind.experiment({ rounds: 2 }, ortCompute({ backend: "native" })),
      embedder,
      withheld: 2,
      protocol: { clients: 4 },
    });
    expect(result.scenario).toBe("new-models");
    expect(result.clients).toHaveLength(4);
    for (const value of [result.global.before, result.global.after, result.global.reference!]) {
      expect(value).toBeGreaterThan(0);
      expect(value).toBeLessThanOrEqual(1.0001);
    }
    // The added models are only chosen after they were added, so the curves must differ.
    expect(result.global.after).not.toBe(result.global.before);
  });

  it("lets new clients join with distillation, scoring both groups before and after", async () => {
    const result = await newClientsScenario(benchmark, {
      seed: 2,
      kind: await mlpKind.experiment({ rounds: 2 }, ortCompute({ backend: "native" })),
      embedder,
      baseClients: 3,
      newClients: 2,
    });
    expect(result.clients.filter((c) => c.group === "new")).toHaveLength(2);
    expect(Object.keys(result.groups ?? {}).sort()).toEqual(["base", "new"]);
    expect(result.global.after).not.toBe(result.global.before);
  });
});
