// The paper's data protocol: queries split across clients by a Dirichlet over task labels, each
// client keeps one judged model per training query (drawn from its own model preference), and
// each client's data is split into train and test; test sets keep every model's label.
import type { Benchmark } from "../core/data/benchmark.ts";
import { categorical, dirichlet, type Random, shuffle } from "../core/random.ts";

export interface ProtocolOptions {
  clients: number;
  /** Dirichlet concentration over task labels (lower: each client sees fewer tasks). */
  alpha: number;
  /** Dirichlet concentration of each client's model preference. */
  preferenceAlpha: number;
  trainFraction: number;
  /** Fewest queries a client may get; the partition is redrawn until every client has this many. */
  minQueries: number;
  /** "clients": each client's task mix ~ Dirichlet(alpha); "tasks": each task split over clients. */
  partition: "clients" | "tasks";
}

export const PROTOCOL_DEFAULTS: ProtocolOptions = {
  clients: 10,
  alpha: 0.6,
  preferenceAlpha: 0.45,
  trainFraction: 0.75,
  minQueries: 10,
  partition: "clients",
};

/**
 * Gives every client an equal share of the queries, drawn from its own task mixture
 * q_i ~ Dirichlet(alpha) over the task labels (without replacement; a task that runs out is
 * dropped from the mixture). Unlike splitting each task across clients, this keeps every client
 * supplied even when there are fewer task labels than clients and alpha is tiny.
 */
export function taskMixturePartition(
  tasks: readonly string[],
  clients: number,
  alpha: number,
  random: Random,
): number[][] {
  const labels = [...new Set(tasks)].sort();
  const pools = labels.map((label) =>
    shuffle(
      random,
      tasks.flatMap((t, row) => (t === label ? [row] : [])),
    ),
  );
  const owned: number[][] = Array.from({ length: clients }, () => []);
  const mixtures = owned.map(() => dirichlet(random, alpha, labels.length));
  const order = shuffle(
    random,
    Array.from({ length: tasks.length }, (_, i) => i % clients),
  );
  for (const c of order) {
    const weights = (mixtures[c] as Float64Array).map((w, t) => ((pools[t] as number[]).length > 0 ? w : 0));
    // A client whose tasks have all run out takes from what is left, in proportion to supply.
    const total = weights.reduce((a, b) => a + b, 0);
    const t =
      total > 0
        ? categorical(random, weights)
        : categorical(
            random,
            pools.map((p) => p.length),
          );
    owned[c]!.push((pools[t] as number[]).pop() as number);
  }
  return owned;
}

export interface ClientSplit {
  id: number;
  trainRows: number[];
  testRows: number[];
  /** The client's preference over models (sums to 1). */
  preference: Float64Array;
  /** For each training row, the one model whose evaluation the client keeps. */
  judgedModel: Int32Array;
}

/** Assigns every query to a client: per task, client shares ~ Dirichlet(alpha). */
export function dirichletPartition(
  tasks: readonly string[],
  clients: number,
  alpha: number,
  random: Random,
): number[][] {
  const byTask = new Map<string, number[]>();
  tasks.forEach((task, row) => {
    const rows = byTask.get(task) ?? [];
    rows.push(row);
    byTask.set(task, rows);
  });
  const owned: number[][] = Array.from({ length: clients }, () => []);
  for (const task of [...byTask.keys()].sort()) {
    const rows = shuffle(random, [...(byTask.get(task) as number[])]);
    const shares = dirichlet(random, alpha, clients);
    let start = 0;
    let cumulative = 0;
    for (let c = 0; c < clients; c++) {
      cumulative += shares[c]!;
      const end = c === clients - 1 ? rows.length : Math.round(cumulative * rows.length);
      owned[c]!.push(...rows.slice(start, end));
      start = end;
    }
  }
  return owned;
}

export function splitClients(benchmark: Benchmark, options: ProtocolOptions, random: Random): ClientSplit[] {
  const m = benchmark.models.length;
  let owned: number[][] = [];
  for (let attempt = 0; ; attempt++) {
    owned =
      options.partition === "clients"
        ? taskMixturePartition(benchmark.tasks, options.clients, options.alpha, random)
        : dirichletPartition(benchmark.tasks, options.clients, options.alpha, random);
    if (owned.every((rows) => rows.length >= options.minQueries)) break;
    if (attempt === 999) {
      throw new RangeError(
        `could not give each of ${options.clients} clients ${options.minQueries} queries; lower --clients or raise --alpha`,
      );
    }
  }
  return owned.map((rows, id) => {
    const shuffled = shuffle(random, [...rows]);
    const cut = Math.round(shuffled.length * options.trainFraction);
    const trainRows = shuffled.slice(0, cut).sort((a, b) => a - b);
    const testRows = shuffled.slice(cut).sort((a, b) => a - b);
    const preference = dirichlet(random, options.preferenceAlpha, m);
    const judgedModel = Int32Array.from(trainRows, () => categorical(random, preference));
    return { id, trainRows, testRows, preference, judgedModel };
  });
}
