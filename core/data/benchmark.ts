// The one in-memory shape of routing evaluations: queries, their task labels, and per-model
// quality and cost, whatever file format they came from.

export interface Benchmark {
  name: string;
  /** The LLMs evaluated, in column order. */
  models: string[];
  /** One entry per query. */
  ids: string[];
  prompts: string[];
  tasks: string[];
  /** Row-major [query][model]: observed quality in [0, 1]. */
  quality: Float64Array;
  /** Row-major [query][model]: cost of that answer in USD. */
  cost: Float64Array;
}

/** What a loader skipped or noticed, so nothing is dropped silently. */
export interface LoadReport {
  rowsRead: number;
  rowsKept: number;
  skipped: { reason: string; count: number; examples: string[] }[];
  duplicateIds: string[];
  notes: string[];
}

export function emptyReport(): LoadReport {
  return { rowsRead: 0, rowsKept: 0, skipped: [], duplicateIds: [], notes: [] };
}

/** Counts a skipped row under its reason, keeping a few example ids for the report. */
export function recordSkip(report: LoadReport, reason: string, example: string): void {
  let entry = report.skipped.find((s) => s.reason === reason);
  if (!entry) {
    entry = { reason, count: 0, examples: [] };
    report.skipped.push(entry);
  }
  entry.count++;
  if (entry.examples.length < 5) entry.examples.push(example);
}

/** A new benchmark holding the given queries, in the given order. */
export function selectQueries(
  benchmark: Benchmark,
  rows: readonly number[],
  name = benchmark.name,
): Benchmark {
  const m = benchmark.models.length;
  const quality = new Float64Array(rows.length * m);
  const cost = new Float64Array(rows.length * m);
  rows.forEach((row, i) => {
    quality.set(benchmark.quality.subarray(row * m, row * m + m), i * m);
    cost.set(benchmark.cost.subarray(row * m, row * m + m), i * m);
  });
  return {
    name,
    models: benchmark.models,
    ids: rows.map((r) => benchmark.ids[r] as string),
    prompts: rows.map((r) => benchmark.prompts[r] as string),
    tasks: rows.map((r) => benchmark.tasks[r] as string),
    quality,
    cost,
  };
}

/** Mean quality and mean cost of every model over all queries. */
export function modelMeans(benchmark: Benchmark): { quality: Float64Array; cost: Float64Array } {
  const m = benchmark.models.length;
  const n = benchmark.ids.length;
  const quality = new Float64Array(m);
  const cost = new Float64Array(m);
  for (let q = 0; q < n; q++) {
    for (let j = 0; j < m; j++) {
      quality[j]! += benchmark.quality[q * m + j]!;
      cost[j]! += benchmark.cost[q * m + j]!;
    }
  }
  for (let j = 0; j < m; j++) {
    quality[j]! /= Math.max(1, n);
    cost[j]! /= Math.max(1, n);
  }
  return { quality, cost };
}

/** The benchmark with its model columns in the given order (a subset when `order` is shorter). */
export function selectModels(benchmark: Benchmark, order: readonly number[]): Benchmark {
  const m = benchmark.models.length;
  const n = benchmark.ids.length;
  const width = order.length;
  const quality = new Float64Array(n * width);
  const cost = new Float64Array(n * width);
  for (let q = 0; q < n; q++) {
    for (const [slot, j] of order.entries()) {
      if (j < 0 || j >= m) throw new RangeError(`no model column ${j}`);
      quality[q * width + slot] = benchmark.quality[q * m + j]!;
      cost[q * width + slot] = benchmark.cost[q * m + j]!;
    }
  }
  return { ...benchmark, models: order.map((j) => benchmark.models[j] as string), quality, cost };
}

/** Collects a loader's kept rows, then builds the benchmark: the one place rows become columns. */
export function benchmarkBuilder(name: string) {
  const ids: string[] = [];
  const prompts: string[] = [];
  const tasks: string[] = [];
  const quality: number[] = [];
  const cost: number[] = [];
  return {
    add(row: {
      id: string;
      prompt: string;
      task: string;
      quality: readonly number[];
      cost: readonly number[];
    }): void {
      ids.push(row.id);
      prompts.push(row.prompt);
      tasks.push(row.task);
      quality.push(...row.quality);
      cost.push(...row.cost);
    },
    build(models: string[]): Benchmark {
      return {
        name,
        models,
        ids,
        prompts,
        tasks,
        quality: Float64Array.from(quality),
        cost: Float64Array.from(cost),
      };
    },
  };
}
