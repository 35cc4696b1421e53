// Turns the evaluations in the store into the evaluation set routers train on: one row per
// distinct query (in order of first appearance), one observed cell per (query, model) judged.
// The query texts are embedded here, on the device; only vectors and numbers go further.
import { type EvaluationSet, emptyEvaluationSet } from "../../../core/data/evaluations.ts";
import type { Embedder } from "../../../core/embedder/embedder.ts";
import type { EmbedderInfo } from "../../../core/model-file.ts";
import { FedRouterError } from "../errors.ts";
import type { Evaluation } from "../store/store.ts";

export interface BuiltTrainingSet {
  set: EvaluationSet;
  /** Evaluations left out because the federation does not route to their model. */
  skipped: number;
}

/**
 * Rows are keyed by the query text (or, for evaluations carrying their own vector, by that
 * vector); a cell judged twice keeps the later evaluation.
 */
export async function buildTrainingSet(
  evaluations: readonly Evaluation[],
  models: readonly string[],
  embedderInfo: EmbedderInfo,
  embedder: Embedder | undefined,
): Promise<BuiltTrainingSet> {
  const m = models.length;
  const column = new Map(models.map((name, j) => [name, j]));
  const rows = new Map<string, { query: string; vector?: number[]; cells: Map<number, Evaluation> }>();
  let skipped = 0;
  for (const evaluation of evaluations) {
    const j = column.get(evaluation.model);
    if (j === undefined) {
      skipped++;
      continue;
    }
    const key = evaluation.vector ? `vector:${evaluation.vector.join(",")}` : `query:${evaluation.query}`;
    let row = rows.get(key);
    if (!row) {
      row = {
        query: evaluation.query,
        ...(evaluation.vector ? { vector: evaluation.vector } : {}),
        cells: new Map(),
      };
      rows.set(key, row);
    }
    row.cells.set(j, evaluation);
  }
  const d = embedderInfo.dimension;
  const list = [...rows.values()];
  const toEmbed = list.filter((row) => !row.vector);
  if (toEmbed.length > 0 && !embedder)
    throw new FedRouterError(
      "embedder_mismatch",
      `the router uses embedder ${embedderInfo.id}, which this SDK cannot build: pass an embedder option`,
    );
  const embedded = toEmbed.length > 0 ? await embedder!.embed(toEmbed.map((row) => row.query)) : [];
  const set = emptyEvaluationSet(list.length, d, m);
  let next = 0;
  list.forEach((row, q) => {
    const vector = row.vector ? Float32Array.from(row.vector) : embedded[next++]!;
    if (vector.length !== d)
      throw new FedRouterError(
        "embedder_mismatch",
        `a stored evaluation's vector has ${vector.length} dimensions, the router expects ${d}`,
      );
    set.features.set(vector, q * d);
    for (const [j, evaluation] of row.cells) {
      set.observed[q * m + j] = 1;
      set.quality[q * m + j] = evaluation.quality;
      set.cost[q * m + j] = evaluation.cost;
    }
  });
  return { set, skipped };
}
