// Turns the evaluations in the store into the evaluation set routers train on: one row per
// distinct query and context (in order of first appearance), one observed cell per (query, model)
// judged. The query texts are embedded here, on the device; each row is the embedding followed by
// the indicators of the federation's tags the evaluation carried. Only vectors and numbers go further.
import { type EvaluationSet, emptyEvaluationSet } from "../../../core/data/evaluations.ts";
import type { Embedder } from "../../../core/embedder/embedder.ts";
import { propensityWeights } from "../../../core/exploration.ts";
import type { EmbedderInfo } from "../../../core/model-file.ts";
import { rowWidth, tagIndicators } from "../../../core/routers/tags.ts";
import { FedRouterError } from "../errors.ts";
import type { Evaluation } from "../store/store.ts";

export interface BuiltTrainingSet {
  set: EvaluationSet;
  /** Evaluations left out because the federation does not route to their model. */
  skipped: number;
}

interface Row {
  query: string;
  vector?: number[];
  indicators: Float32Array;
  cells: Map<number, Evaluation>;
}

/**
 * Rows are keyed by the query text (or, for evaluations carrying their own vector, by that
 * vector) and by which of the federation's `tags` the evaluation carried: the same query from
 * two contexts is two rows. Tags outside the vocabulary are ignored. A cell judged twice keeps
 * the later evaluation.
 */
export async function buildTrainingSet(
  evaluations: readonly Evaluation[],
  models: readonly string[],
  embedderInfo: EmbedderInfo,
  embedder: Embedder | undefined,
  tags: readonly string[] = [],
): Promise<BuiltTrainingSet> {
  const m = models.length;
  const column = new Map(models.map((name, j) => [name, j]));
  const rows = new Map<string, Row>();
  let skipped = 0;
  for (const evaluation of evaluations) {
    const j = column.get(evaluation.model);
    if (j === undefined) {
      skipped++;
      continue;
    }
    const indicators = tagIndicators(evaluation.tags, tags);
    const text = evaluation.vector ? `vector:${evaluation.vector.join(",")}` : `query:${evaluation.query}`;
    const key = tags.length > 0 ? `${indicators.join("")}|${text}` : text;
    let row = rows.get(key);
    if (!row) {
      row = {
        query: evaluation.query,
        ...(evaluation.vector ? { vector: evaluation.vector } : {}),
        indicators,
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
  const width = rowWidth(d, tags);
  const set = emptyEvaluationSet(list.length, width, m);
  // NaN: an offline judgement (weighs 1); a routed evaluation's propensity otherwise.
  const propensities = new Float64Array(list.length * m).fill(Number.NaN);
  let next = 0;
  list.forEach((row, q) => {
    const vector = row.vector ? Float32Array.from(row.vector) : embedded[next++]!;
    if (vector.length !== d)
      throw new FedRouterError(
        "embedder_mismatch",
        `a stored evaluation's vector has ${vector.length} dimensions, the router expects ${d}`,
      );
    set.features.set(vector, q * width);
    set.features.set(row.indicators, q * width + d);
    for (const [j, evaluation] of row.cells) {
      set.observed[q * m + j] = 1;
      set.quality[q * m + j] = evaluation.quality;
      set.cost[q * m + j] = evaluation.cost;
      if (evaluation.propensity !== undefined) propensities[q * m + j] = evaluation.propensity;
    }
  });
  if (propensities.some((p) => !Number.isNaN(p))) set.weight = propensityWeights(propensities);
  return { set, skipped };
}
