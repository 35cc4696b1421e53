// `--tags task` in the harness: each query's task label as its tag, the vocabulary taken from the
// clients' training data, rows of embedding and indicators through both scoring and training.
import { describe, expect, it } from "vitest";
import { selectQueries } from "../../../core/data/benchmark.ts";
import { syntheticBenchmark } from "../../../core/data/synthetic.ts";
import { hashingEmbedder } from "../../../core/embedder/hashing.ts";
import { prepareExperiment, runExperiment } from "../../../experiments/harness.ts";
import { kindExperiment } from "../../../experiments/kind-experiment.ts";
import type { ClientSplit } from "../../../experiments/protocol.ts";
import { taskTaggedFeatures, taskVocabulary } from "../../../experiments/tags.ts";

const embedder = hashingEmbedder({ dimension: 16 });

describe("task labels as tags", () => {
  it("takes the vocabulary from the training rows only, sorted", () => {
    const benchmark = selectQueries(syntheticBenchmark({ seed: 1, queries: 60 }), [0, 1, 2, 3, 4, 5]);
    benchmark.tasks.splice(0, 6, "b", "a", "c", "b", "z", "y");
    const split = (trainRows: number[], testRows: number[]) => ({ trainRows, testRows }) as ClientSplit;
    expect(taskVocabulary(benchmark, [split([0, 1], [4]), split([3, 2], [5])])).toEqual(["a", "b", "c"]);
  });

  it("appends the indicator of each row's task, none for a task outside the vocabulary", () => {
    const benchmark = selectQueries(syntheticBenchmark({ seed: 1, queries: 60 }), [0, 1, 2]);
    benchmark.tasks.splice(0, 3, "a", "b", "unseen");
    const embeddings = [0, 1, 2].map((i) => Float32Array.of(i, -i));
    const rows = taskTaggedFeatures(benchmark, embeddings, ["a", "b"]);
    expect(rows.map((row) => [...row])).toEqual([
      [0, -0, 1, 0],
      [1, -1, 0, 1],
      [2, -2, 0, 0],
    ]);
  });

  it("gives every train and test row the embedding followed by its task's indicator", async () => {
    const benchmark = syntheticBenchmark({ seed: 4, queries: 400 });
    const prepared = await prepareExperiment(benchmark, { seed: 4, clients: 4, embedder, tags: "task" });
    const vocabulary = prepared.context.tags!;
    expect(vocabulary).toEqual(taskVocabulary(benchmark, prepared.splits));
    expect(vocabulary.length).toBeGreaterThan(1);
    const width = embedder.dimension + vocabulary.length;
    for (const set of prepared.trainSets) expect(set.dimension).toBe(width);
    expect(prepared.globalTest.features.length).toBe(prepared.globalTest.n * width);
    for (const [row, features] of prepared.features.entries()) {
      const indicators = [...features.subarray(embedder.dimension)];
      const slot = vocabulary.indexOf(benchmark.tasks[row]!);
      expect(indicators).toEqual(vocabulary.map((_, t) => (t === slot ? 1 : 0)));
    }
  });

  it("runs the protocol with tags and records the option and its vocabulary in the settings", async () => {
    const benchmark = syntheticBenchmark({ seed: 2, queries: 500 });
    const result = await runExperiment(benchmark, {
      seed: 2,
      clients: 4,
      kind: await kindExperiment("kmeans"),
      embedder,
      tags: "task",
    });
    expect(result.settings.tags).toBe("task");
    expect(result.settings.tagVocabulary).toEqual([...new Set(benchmark.tasks)].sort());
    // Scored on tagged test rows (a router refuses rows of another width): an AUC under the oracle's.
    expect(result.global.federated).toBeGreaterThan(0);
    expect(result.global.federated).toBeLessThanOrEqual(result.global.oracle);
    expect(result.clients).toHaveLength(4);
  });
});
