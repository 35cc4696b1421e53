// The SDK tests' data: a small synthetic benchmark split among clients (every cell observed), the
// embedder of its federations, and each client's rows recorded as its app would.
import type { FedrouterClient } from "../../../../client-sdk/src/index.ts";
import type { Benchmark } from "../../../../core/data/benchmark.ts";
import { syntheticBenchmark } from "../../../../core/data/synthetic.ts";
import { hashingEmbedder } from "../../../../core/embedder/hashing.ts";

/** A small embedder so tests stay fast; its id rebuilds it (the SDK's default embedder). */
export const embedder = hashingEmbedder({ dimension: 24 });
export const embedderInfo = { id: embedder.id, dimension: embedder.dimension };

export interface Fixture {
  benchmark: Benchmark;
  /** Each client's benchmark rows, in order (every cell of a row observed). */
  rows: number[][];
}

/** A synthetic benchmark split evenly over `clients` (default 5, the SDK's minimum cohort). */
export function fixture(clients = 5, queries = 120, seed = 5): Fixture {
  const benchmark = syntheticBenchmark({ seed, queries, tasks: 3, models: 3 });
  const per = Math.floor(queries / clients);
  const rows = Array.from({ length: clients }, (_, c) => Array.from({ length: per }, (_, i) => c * per + i));
  return { benchmark, rows };
}

/**
 * Records client `c`'s rows of the fixture, every model of each query, as its app would; with
 * `tagsOf`, each query carries the tags it gives for the query's row.
 */
export async function recordRows(
  client: FedrouterClient,
  data: Fixture,
  c: number,
  tagsOf?: (row: number) => string[],
): Promise<void> {
  const { benchmark } = data;
  const m = benchmark.models.length;
  for (const q of data.rows[c]!)
    for (let j = 0; j < m; j++)
      await client.record({
        query: benchmark.prompts[q]!,
        model: benchmark.models[j]!,
        quality: benchmark.quality[q * m + j]!,
        cost: benchmark.cost[q * m + j]!,
        ...(tagsOf ? { tags: tagsOf(q) } : {}),
      });
}
