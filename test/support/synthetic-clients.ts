// Clients of the synthetic benchmark for router tests: its queries dealt round-robin to `count`
// clients, embedded with the hashing embedder, each cell judged with probability `judged`.
import { selectQueries } from "../../core/data/benchmark.ts";
import { type EvaluationSet, evaluationSet } from "../../core/data/evaluations.ts";
import { syntheticBenchmark } from "../../core/data/synthetic.ts";
import { hashingEmbedder } from "../../core/embedder/hashing.ts";
import { seededRandom } from "../../core/random.ts";

export interface SyntheticClients {
  count: number;
  queries: number;
  dimension: number;
  judged: number;
}

export async function syntheticClients(shape: SyntheticClients): Promise<EvaluationSet[]> {
  const benchmark = syntheticBenchmark({ seed: 3, queries: shape.queries, models: 4 });
  const features = await hashingEmbedder({ dimension: shape.dimension }).embed(benchmark.prompts);
  const random = seededRandom(2);
  return Array.from({ length: shape.count }, (_, c) => {
    const rows = benchmark.ids.map((_, i) => i).filter((i) => i % shape.count === c);
    return evaluationSet(
      selectQueries(benchmark, rows),
      rows.map((r) => features[r] as Float32Array),
      () => random() < shape.judged,
    );
  });
}
