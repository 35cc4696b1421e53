// Small seeded evaluation sets: one client's judged queries, as the edge tests give their clients.
import { type EvaluationSet, emptyEvaluationSet } from "../../core/data/evaluations.ts";
import type { Random } from "../../core/random.ts";

export interface EvaluationShape {
  queries: number;
  dimension: number;
  models: number;
}

/**
 * A client's evaluations drawn from `random`: features in [-1, 1), about two cells in three
 * observed, qualities in quarters and costs in 64ths. Those values (and their sums) are dyadic, so
 * fixed-point encoding at a power-of-two scale carries them exactly and a round over the edge can
 * be compared number for number with a plain simulation.
 */
export function seededEvaluationSet(random: Random, shape: EvaluationShape): EvaluationSet {
  const set = emptyEvaluationSet(shape.queries, shape.dimension, shape.models);
  for (let i = 0; i < set.features.length; i++) set.features[i] = Math.floor(random() * 256) / 128 - 1;
  for (let k = 0; k < set.observed.length; k++) {
    set.observed[k] = random() < 2 / 3 ? 1 : 0;
    set.quality[k] = Math.floor(random() * 5) / 4;
    set.cost[k] = Math.floor(random() * 16) / 64;
  }
  return set;
}

/** One evaluation set per client id, drawn from `random` in the ids' order. */
export function seededClientSets(
  clientIds: readonly string[],
  random: Random,
  shape: EvaluationShape,
): Map<string, EvaluationSet> {
  return new Map(clientIds.map((id) => [id, seededEvaluationSet(random, shape)]));
}
