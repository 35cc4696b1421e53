// The two tables every learned router must beat: `queryBlind` (each model's mean quality and cost,
// whatever the query) and `taskLookup` (the mean per task label and model). Both are fitted on
// exactly what the routers see, the judged cells of the clients' training sets, pooled.
import type { EvaluationSet } from "../core/data/evaluations.ts";
import type { BatchPrediction, BatchPredictor } from "../core/prediction.ts";

/** Per model: mean quality and cost over its judged cells, and whether it has any. */
export interface MeanTable {
  quality: Float64Array;
  cost: Float64Array;
  /** 1 where the model has at least one judged cell. */
  judged: Uint8Array;
}

/** Running sums of judged cells per model, to be turned into means. */
class CellSums {
  readonly modelCount: number;
  readonly count: Float64Array;
  readonly quality: Float64Array;
  readonly cost: Float64Array;
  constructor(modelCount: number) {
    this.modelCount = modelCount;
    this.count = new Float64Array(modelCount);
    this.quality = new Float64Array(modelCount);
    this.cost = new Float64Array(modelCount);
  }
  /** Adds row q of `set` (its judged cells only). */
  add(set: EvaluationSet, q: number): void {
    const m = this.modelCount;
    for (let j = 0; j < m; j++) {
      if (!set.observed[q * m + j]) continue;
      this.count[j]! += 1;
      this.quality[j]! += set.quality[q * m + j]!;
      this.cost[j]! += set.cost[q * m + j]!;
    }
  }
  /** The means; a model without cells takes `fallback`'s mean (or none when it has none either). */
  means(fallback?: MeanTable): MeanTable {
    const m = this.modelCount;
    const table: MeanTable = {
      quality: new Float64Array(m),
      cost: new Float64Array(m),
      judged: new Uint8Array(m),
    };
    for (let j = 0; j < m; j++) {
      const n = this.count[j]!;
      if (n > 0) {
        table.quality[j] = this.quality[j]! / n;
        table.cost[j] = this.cost[j]! / n;
        table.judged[j] = 1;
      } else if (fallback?.judged[j]) {
        table.quality[j] = fallback.quality[j]!;
        table.cost[j] = fallback.cost[j]!;
        table.judged[j] = 1;
      }
    }
    return table;
  }
}

function modelCountOf(sets: readonly EvaluationSet[]): number {
  const first = sets[0];
  if (!first) throw new RangeError("baselines need at least one training set");
  for (const set of sets)
    if (set.modelCount !== first.modelCount || set.dimension !== first.dimension)
      throw new RangeError("the training sets differ in shape");
  return first.modelCount;
}

/** Each model's mean quality and cost over the judged cells of all sets. */
export function modelMeanTable(sets: readonly EvaluationSet[]): MeanTable {
  const sums = new CellSums(modelCountOf(sets));
  for (const set of sets) for (let q = 0; q < set.n; q++) sums.add(set, q);
  return sums.means();
}

/**
 * The mean quality and cost per (task label, model) over the judged cells of all sets;
 * `tasks[i][q]` labels row q of `sets[i]`. A (task, model) cell nobody judged takes the model's
 * mean.
 */
export function taskMeanTables(
  sets: readonly EvaluationSet[],
  tasks: readonly (readonly string[])[],
): Map<string, MeanTable> {
  const m = modelCountOf(sets);
  if (tasks.length !== sets.length)
    throw new RangeError(`${tasks.length} task lists for ${sets.length} sets`);
  const sums = new Map<string, CellSums>();
  for (const [i, set] of sets.entries()) {
    const labels = tasks[i]!;
    if (labels.length !== set.n)
      throw new RangeError(`set ${i} has ${set.n} rows, ${labels.length} task labels`);
    for (let q = 0; q < set.n; q++) {
      const task = labels[q]!;
      const cell = sums.get(task) ?? new CellSums(m);
      sums.set(task, cell);
      cell.add(set, q);
    }
  }
  const fallback = modelMeanTable(sets);
  return new Map([...sums].map(([task, cell]) => [task, cell.means(fallback)]));
}

/** Task labels worth a lookup: at least two distinct ones (one label is the query-blind table). */
export function hasTaskLabels(tasks: readonly (readonly string[])[]): boolean {
  const seen = new Set<string>();
  for (const labels of tasks)
    for (const task of labels) {
      seen.add(task);
      if (seen.size >= 2) return true;
    }
  return false;
}

/** Predictions that take row q's means from `tableOf(q)`; models nobody judged are unavailable. */
function tablePrediction(n: number, m: number, tableOf: (q: number) => MeanTable): BatchPrediction {
  const quality = new Float64Array(n * m);
  const cost = new Float64Array(n * m);
  let available: Uint8Array | null = null;
  for (let q = 0; q < n; q++) {
    const table = tableOf(q);
    quality.set(table.quality, q * m);
    cost.set(table.cost, q * m);
    if (table.judged.includes(0)) {
      available ??= new Uint8Array(n * m).fill(1);
      available.set(table.judged, q * m);
    }
  }
  return { quality, cost, available };
}

function rowCount(features: Float32Array, dimension: number): number {
  if (dimension < 1 || features.length % dimension !== 0)
    throw new RangeError(`${features.length} features are not rows of ${dimension}`);
  return features.length / dimension;
}

/** The query-blind router: every query gets each model's mean, whatever its features. */
export function queryBlindPredictor(sets: readonly EvaluationSet[]): BatchPredictor {
  const table = modelMeanTable(sets);
  const { dimension, modelCount: m } = sets[0]!;
  return (features) => tablePrediction(rowCount(features, dimension), m, () => table);
}

/**
 * The task-label lookup, fitted once: given the task labels of a test set's rows, in order, the
 * router that predicts each row its task's means (a task the training sets never saw: the
 * model's means).
 */
export function taskLookupPredictor(
  sets: readonly EvaluationSet[],
  tasks: readonly (readonly string[])[],
): (testTasks: readonly string[]) => BatchPredictor {
  const tables = taskMeanTables(sets, tasks);
  const fallback = modelMeanTable(sets);
  const { dimension, modelCount: m } = sets[0]!;
  return (testTasks) => (features) => {
    const n = rowCount(features, dimension);
    if (n !== testTasks.length) throw new RangeError(`${n} queries but ${testTasks.length} task labels`);
    return tablePrediction(n, m, (q) => tables.get(testTasks[q]!) ?? fallback);
  };
}

/** The baselines fitted on the clients' training sets, ready to score any test set. */
export interface Baselines {
  /** Each baseline's router for a test set whose rows carry `testTasks`, keyed by result name. */
  forTestSet(testTasks: readonly string[]): Record<string, BatchPredictor>;
}

/**
 * Fits `queryBlind` and, when the training rows carry at least two task labels, `taskLookup`.
 * `tasks[i][q]` labels row q of `sets[i]`.
 */
export function fitBaselines(
  sets: readonly EvaluationSet[],
  tasks: readonly (readonly string[])[],
): Baselines {
  const queryBlind = queryBlindPredictor(sets);
  const taskLookup = hasTaskLabels(tasks) ? taskLookupPredictor(sets, tasks) : undefined;
  return {
    forTestSet: (testTasks) => ({
      queryBlind,
      ...(taskLookup ? { taskLookup: taskLookup(testTasks) } : {}),
    }),
  };
}
