// The paper's remaining experiments: new LLMs added to a trained federation, and new
// organisations joining one. (High heterogeneity is the standard run with other protocol
// settings and personalisation on; see cli.ts.)
import { type Benchmark, selectModels, selectQueries } from "../core/data/benchmark.ts";
import { type EvaluationSet, evaluationSet } from "../core/data/evaluations.ts";
import type { Embedder } from "../core/embedder/embedder.ts";
import type { BatchPredictor } from "../core/prediction.ts";
import { categorical, type Random, seededRandom, shuffle } from "../core/random.ts";
import type { KindExperiment, TrainingContext } from "../core/routers/kind.ts";
import { concatTestSets, scoreRouter, type TestSet } from "./evaluate.ts";
import { testSet, trainSet } from "./harness.ts";
import { type ClientSplit, PROTOCOL_DEFAULTS, type ProtocolOptions, splitClients } from "./protocol.ts";

export interface ScenarioOptions {
  seed: number;
  kind: KindExperiment;
  embedder: Embedder;
  protocol?: Partial<ProtocolOptions>;
  progress?: (label: string, done: number, total: number) => void;
}

export interface BeforeAfter {
  before: number;
  after: number;
  /** The new-models run's reference: a router trained with every model from the start. */
  reference?: number;
}

export interface ScenarioResult {
  scenario: "new-models" | "new-clients";
  dataset: string;
  router: string;
  seed: number;
  seconds: number;
  details: Record<string, unknown>;
  clients: { id: number; group?: "base" | "new"; nTrain: number; ownTest: BeforeAfter }[];
  global: BeforeAfter;
  /** For new-clients: means over each group of clients' own-test AUCs. */
  groups?: Record<string, BeforeAfter>;
}

function context(benchmark: Benchmark, embedder: Embedder, random: Random, seed: number): TrainingContext {
  return {
    models: benchmark.models,
    embedder: { id: embedder.id, dimension: embedder.dimension },
    random,
    seed,
  };
}

async function score(predict: BatchPredictor, test: TestSet): Promise<number> {
  return (await scoreRouter(predict, test)).auc;
}

function require<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new RangeError(`the ${what} scenario is not available for this router`);
  return value;
}

/** Withholds `withheld` models, trains, then adds them with `fraction` of queries evaluated on them. */
export async function newModelsScenario(
  source: Benchmark,
  options: ScenarioOptions & { withheld?: number; fraction?: number },
): Promise<ScenarioResult> {
  const started = performance.now();
  const { seed, kind, embedder } = options;
  const withheld = options.withheld ?? 3;
  const fraction = options.fraction ?? 0.1;
  const newModels = require(kind.newModels, "new-models").bind(kind);
  const random = seededRandom(seed);
  const m = source.models.length;
  if (withheld < 1 || withheld >= m) throw new RangeError(`cannot withhold ${withheld} of ${m} models`);
  // The withheld models go last, so the base router's columns are a prefix of the full ones.
  const picked = shuffle(
    random,
    Array.from({ length: m }, (_, j) => j),
  )
    .slice(0, withheld)
    .sort((a, b) => a - b);
  const order = [...Array.from({ length: m }, (_, j) => j).filter((j) => !picked.includes(j)), ...picked];
  const benchmark = selectModels(source, order);
  const base = m - withheld;
  const protocol = { ...PROTOCOL_DEFAULTS, ...options.protocol };
  const splits = splitClients(benchmark, protocol, random);
  const features = await embedder.embed(benchmark.prompts);
  const reference = splits.map((s) => trainSet(benchmark, s, features));
  // Before the new models exist, each client judges one of the old models per query, drawn from
  // its preference over those; afterwards it also evaluates the new models on `fraction` of them.
  const baseBenchmark = selectModels(
    benchmark,
    Array.from({ length: base }, (_, j) => j),
  );
  const baseSets: EvaluationSet[] = [];
  const extendedSets: EvaluationSet[] = [];
  for (const split of splits) {
    const judged = split.trainRows.map(() => categorical(random, split.preference.subarray(0, base)));
    const evaluatesNew = split.trainRows.map(() => random() < fraction);
    const rows = split.trainRows.map((r) => features[r] as Float32Array);
    baseSets.push(
      evaluationSet(selectQueries(baseBenchmark, split.trainRows), rows, (row, j) => judged[row] === j),
    );
    extendedSets.push(
      evaluationSet(
        selectQueries(benchmark, split.trainRows),
        rows,
        (row, j) => judged[row] === j || (j >= base && evaluatesNew[row] === true),
      ),
    );
  }
  const ctx = context(benchmark, embedder, random, seed);
  options.progress?.("base router and new models", 0, 2);
  const { before, after } = await newModels(baseSets, extendedSets, benchmark.models.slice(base), ctx);
  options.progress?.("reference router with every model", 1, 2);
  const full = await kind.federated(reference, ctx);
  options.progress?.("scoring", 2, 2);
  const tests = splits.map((s) => testSet(benchmark, s.testRows, features));
  const clients = [];
  for (const [i, split] of splits.entries()) {
    const test = tests[i] as TestSet;
    clients.push({
      id: split.id,
      nTrain: split.trainRows.length,
      ownTest: {
        before: await score(before, test),
        after: await score(after, test),
        reference: await score(full, test),
      },
    });
  }
  const global = concatTestSets(tests);
  return {
    scenario: "new-models",
    dataset: source.name,
    router: kind.name,
    seed,
    seconds: (performance.now() - started) / 1000,
    details: { withheld: benchmark.models.slice(base), fraction },
    clients,
    global: {
      before: await score(before, global),
      after: await score(after, global),
      reference: await score(full, global),
    },
  };
}

/** 7 base organisations train; 3 new ones, holding task labels the base never saw, then join. */
export async function newClientsScenario(
  benchmark: Benchmark,
  options: ScenarioOptions & { baseClients?: number; newClients?: number; heldOutTasks?: number },
): Promise<ScenarioResult> {
  const started = performance.now();
  const { seed, kind, embedder } = options;
  const newClients = require(kind.newClients, "new-clients").bind(kind);
  const random = seededRandom(seed);
  const tasks = [...new Set(benchmark.tasks)].sort();
  const heldOutCount = Math.max(1, Math.round(tasks.length * (options.heldOutTasks ?? 0.3)));
  if (heldOutCount >= tasks.length)
    throw new RangeError(`need more than ${tasks.length} task labels to hold some out`);
  const heldOut = new Set(shuffle(random, [...tasks]).slice(0, heldOutCount));
  const rows = Array.from({ length: benchmark.ids.length }, (_, i) => i);
  const baseRows = rows.filter((r) => !heldOut.has(benchmark.tasks[r] as string));
  const newRows = rows.filter((r) => heldOut.has(benchmark.tasks[r] as string));
  const protocol = { ...PROTOCOL_DEFAULTS, ...options.protocol };
  const groups = [
    { group: "base" as const, bench: selectQueries(benchmark, baseRows), clients: options.baseClients ?? 7 },
    { group: "new" as const, bench: selectQueries(benchmark, newRows), clients: options.newClients ?? 3 },
  ];
  const prepared = [];
  for (const g of groups) {
    const splits: ClientSplit[] = splitClients(g.bench, { ...protocol, clients: g.clients }, random);
    const features = await embedder.embed(g.bench.prompts);
    prepared.push({
      ...g,
      splits,
      train: splits.map((s) => trainSet(g.bench, s, features)),
      tests: splits.map((s) => testSet(g.bench, s.testRows, features)),
    });
  }
  const [baseGroup, newGroup] = prepared as [(typeof prepared)[0], (typeof prepared)[0]];
  options.progress?.("base federation, then the new organisations", 0, 1);
  const { before, after } = await newClients(
    baseGroup.train,
    newGroup.train,
    context(benchmark, embedder, random, seed),
  );
  options.progress?.("scoring", 1, 1);
  const clients: ScenarioResult["clients"] = [];
  const means: Record<string, BeforeAfter> = {};
  for (const g of prepared) {
    let b = 0;
    let a = 0;
    for (const [i, split] of g.splits.entries()) {
      const test = g.tests[i] as TestSet;
      const ownTest = { before: await score(before, test), after: await score(after, test) };
      b += ownTest.before / g.splits.length;
      a += ownTest.after / g.splits.length;
      clients.push({ id: clients.length, group: g.group, nTrain: split.trainRows.length, ownTest });
    }
    means[g.group] = { before: b, after: a };
  }
  const global = concatTestSets(prepared.flatMap((g) => g.tests));
  return {
    scenario: "new-clients",
    dataset: benchmark.name,
    router: kind.name,
    seed,
    seconds: (performance.now() - started) / 1000,
    details: {
      heldOutTasks: [...heldOut].sort(),
      baseClients: baseGroup.clients,
      newClients: newGroup.clients,
    },
    clients,
    global: { before: await score(before, global), after: await score(after, global) },
    groups: means,
  };
}
