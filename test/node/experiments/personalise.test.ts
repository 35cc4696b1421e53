// Personalisation in the harness: every client gets the adaptive mixture, the fixed 0.5/0.5
// mixture and the fine-tuned router scored on its own test set, and the JSON keeps the weights.
import { describe, expect, it } from "vitest";
import { syntheticBenchmark } from "../../../core/data/synthetic.ts";
import { hashingEmbedder } from "../../../core/embedder/hashing.ts";
import { runExperiment } from "../../../experiments/harness.ts";
import { kmeansFamily } from "../../../experiments/kmeans-family.ts";
import { personalisationLine } from "../../../experiments/table.ts";

describe("personalisation in the harness", () => {
  it("scores the adaptive, fixed and fine-tuned routers per client and keeps the mixture weights", async () => {
    const benchmark = syntheticBenchmark({ seed: 4, queries: 400, tasks: 4, models: 5 });
    const result = await runExperiment(benchmark, {
      seed: 4,
      family: kmeansFamily({ clusters: 4 }),
      embedder: hashingEmbedder({ dimension: 32 }),
      clients: 4,
      alpha: 0.03,
      preferenceAlpha: 1,
      personalise: true,
    });
    for (const client of result.clients) {
      for (const key of ["personalized", "personalizedFixed", "fineTuned"]) {
        expect(client.ownTest[key], key).toBeGreaterThan(0);
        expect(client.ownTest[key], key).toBeLessThanOrEqual(1.0001);
      }
      const { quality, cost } = client.mixture!;
      expect(quality).toHaveLength(5);
      expect(cost).toHaveLength(5);
      for (const w of [...quality, ...cost]) expect(w >= 0 && w <= 1).toBe(true);
    }
    // The weights are the clients' own: they differ between clients.
    const first = JSON.stringify(result.clients[0]!.mixture);
    expect(result.clients.some((c) => JSON.stringify(c.mixture) !== first)).toBe(true);
    const lines = personalisationLine(result).split("\n");
    expect(lines.map((l) => l.split(":")[0])).toEqual(["adaptive", "fixed 0.5/0.5", "fine-tuned"]);
  });
});
