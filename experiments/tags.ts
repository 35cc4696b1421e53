// Context tags in the harness: `--tags task` gives each query its task label as its one tag, as an
// app would pass the endpoint or feature a query came from. The vocabulary is what the clients'
// training data holds, so a test query of a task no client trained on carries no known tag.
import type { Benchmark } from "../core/data/benchmark.ts";
import { routerRow } from "../core/routers/tags.ts";
import type { ClientSplit } from "./protocol.ts";

/** Where an experiment's queries take their tags from ("task": the benchmark's task label). */
export type TagSource = "task";

export const TAG_SOURCES: readonly TagSource[] = ["task"];

/** The task labels of the clients' training rows, sorted: the federation's tag vocabulary. */
export function taskVocabulary(benchmark: Benchmark, splits: readonly ClientSplit[]): string[] {
  const seen = new Set<string>();
  for (const split of splits) for (const row of split.trainRows) seen.add(benchmark.tasks[row] as string);
  return [...seen].sort();
}

/** Each row's embedding followed by the indicator of its task label in `vocabulary`. */
export function taskTaggedFeatures(
  benchmark: Benchmark,
  embeddings: readonly Float32Array[],
  vocabulary: readonly string[],
): Float32Array[] {
  return embeddings.map((embedding, row) =>
    routerRow(embedding, [benchmark.tasks[row] as string], vocabulary),
  );
}
