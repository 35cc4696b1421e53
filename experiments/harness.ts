// The experiment harness: the paper's protocol end to end on one data set and router kind.
import type { CurvePoint } from "../core/auc.ts";
import { type Benchmark, selectQueries } from "../core/data/benchmark.ts";
import { concatEvaluationSets, type EvaluationSet, evaluationSet } from "../core/data/evaluations.ts";
import type { Embedder } from "../core/embedder/embedder.ts";
import type { BatchPredictor } from "../core/prediction.ts";
import { fmix32, type Random, seededRandom } from "../core/random.ts";
import type { KindExperiment, TrainingContext } from "../core/routers/kind.ts";
import { fitBaselines } from "./baselines.ts";
import { pairedBootstrap, standardError } from "./bootstrap.ts";
import {
  concatTestSets,
  type Scored,
  scoreOracle,
  scoreRandom,
  scoreRouter,
  scoreTrainings,
  singleModelPoints,
  type TestSet,
} from "./evaluate.ts";
import { personalisedPredictors } from "./personalise.ts";
import { type ClientSplit, PROTOCOL_DEFAULTS, type ProtocolOptions, splitClients } from "./protocol.ts";
import { type TagSource, taskTaggedFeatures, taskVocabulary } from "./tags.ts";

export interface ExperimentOptions extends Partial<ProtocolOptions> {
  seed: number;
  kind: KindExperiment;
  embedder: Embedder;
  rounds?: number;
  /** Context tags of each query ("task": its task label); absent: no tags. */
  tags?: TagSource;
  /** Also score each client's personalised routers (costs k extra local trainings per client). */
  personalise?: boolean;
  /**
   * Paired bootstrap resamples of each client's own test set for standard errors of its AUC
   * differences (0 or absent: none).
   */
  bootstrap?: number;
  /** Reports a step of work: a label and how many of how many are done. */
  progress?: (label: string, done: number, total: number) => void;
}

export interface ClientResult {
  id: number;
  nTrain: number;
  nTest: number;
  tasks: Record<string, number>;
  /**
   * AUCs on the client's own test set; the baselines (`queryBlind`, `taskLookup` when the data has
   * task labels, and the kind's own); `personalised` and its variants when personalising.
   */
  ownTest: { local: number; federated: number; centralised: number } & Record<string, number>;
  /** When personalising: the adaptive mixture's per-model weights of the federated router. */
  mixture?: { quality: number[]; cost: number[] };
  /** When personalising: per model, the local router's weights in the default (prior and evidence). */
  evidenceWeights?: { quality: number[]; cost: number[] };
  /**
   * With `bootstrap`: standard errors, over paired resamples of the own test set, of local -
   * federated and (when personalising) of personalised - max(local, federated), and the same for
   * each other personalised variant (`minusBest`, keyed as in `ownTest`).
   */
  ownTestSe?: {
    resamples: number;
    localMinusFederated: number;
    personalisedMinusBest?: number;
    minusBest?: Record<string, number>;
  };
}

export interface ExperimentResult {
  dataset: string;
  router: string;
  seed: number;
  seconds: number;
  settings: ProtocolOptions & {
    embedder: string;
    dimension: number;
    rounds?: number;
    /** The tags option, and the vocabulary it gave (the task labels of the training data). */
    tags?: TagSource;
    tagVocabulary?: string[];
  };
  clients: ClientResult[];
  /** AUCs on the global test set, with the same baselines as each client's `ownTest`. */
  global: {
    federated: number;
    centralised: number;
    localMin: number;
    localMax: number;
    oracle: number;
    bestSingle: number;
    cheapest: number;
    random: number;
  } & Record<string, number>;
  /** Accuracy-cost curves on the global test set, for plots. */
  curves: Record<string, CurvePoint[]>;
  singleModels: { model: string; quality: number; cost: number }[];
}

export function testSet(benchmark: Benchmark, rows: number[], features: readonly Float32Array[]): TestSet {
  const part = selectQueries(benchmark, rows);
  const d = features[0]?.length ?? 0;
  const flat = new Float32Array(rows.length * d);
  for (const [i, row] of rows.entries()) flat.set(features[row] as Float32Array, i * d);
  return {
    n: rows.length,
    features: flat,
    quality: part.quality,
    cost: part.cost,
    modelCount: benchmark.models.length,
  };
}

export function trainSet(
  benchmark: Benchmark,
  split: ClientSplit,
  features: readonly Float32Array[],
): EvaluationSet {
  const part = selectQueries(benchmark, split.trainRows);
  return evaluationSet(
    part,
    split.trainRows.map((row) => features[row] as Float32Array),
    (row, model) => split.judgedModel[row] === model,
  );
}

/** The task labels of benchmark rows, in order. */
const tasksOf = (benchmark: Benchmark, rows: readonly number[]): string[] =>
  rows.map((row) => benchmark.tasks[row] as string);

function taskCounts(benchmark: Benchmark, rows: number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) {
    const task = benchmark.tasks[row] as string;
    counts[task] = (counts[task] ?? 0) + 1;
  }
  return counts;
}

/** What the protocol fixes before any router trains: the split, the features, train and test sets. */
export interface PreparedExperiment {
  protocol: ProtocolOptions;
  splits: ClientSplit[];
  /** One feature vector per benchmark row: the embedding, then its tag indicators (if tags). */
  features: Float32Array[];
  trainSets: EvaluationSet[];
  testSets: TestSet[];
  globalTest: TestSet;
  /** The training context; its `random` continues the stream the split was drawn from. */
  context: TrainingContext;
}

/**
 * Splits the benchmark over clients, embeds the queries and builds every client's train and test
 * set, as `runExperiment` does before training. A run elsewhere (e.g. over the edge) that starts
 * from this and scores with `scoreExperiment` follows the experiment number for number.
 */
export async function prepareExperiment(
  benchmark: Benchmark,
  options: Omit<ExperimentOptions, "kind" | "personalise">,
): Promise<PreparedExperiment> {
  const protocol: ProtocolOptions = {
    clients: options.clients ?? PROTOCOL_DEFAULTS.clients,
    alpha: options.alpha ?? PROTOCOL_DEFAULTS.alpha,
    preferenceAlpha: options.preferenceAlpha ?? PROTOCOL_DEFAULTS.preferenceAlpha,
    trainFraction: options.trainFraction ?? PROTOCOL_DEFAULTS.trainFraction,
    minQueries: options.minQueries ?? PROTOCOL_DEFAULTS.minQueries,
    partition: options.partition ?? PROTOCOL_DEFAULTS.partition,
  };
  const { embedder, seed } = options;
  const progress = options.progress ?? (() => {});
  const random = seededRandom(seed);
  const splits = splitClients(benchmark, protocol, random);
  progress("embedding queries", 0, 1);
  const embeddings = await embedder.embed(benchmark.prompts);
  progress("embedding queries", 1, 1);
  const tags = options.tags === "task" ? taskVocabulary(benchmark, splits) : undefined;
  const features = tags ? taskTaggedFeatures(benchmark, embeddings, tags) : embeddings;
  const trainSets = splits.map((s) => trainSet(benchmark, s, features));
  const testSets = splits.map((s) => testSet(benchmark, s.testRows, features));
  return {
    protocol,
    splits,
    features,
    trainSets,
    testSets,
    globalTest: concatTestSets(testSets),
    context: {
      models: benchmark.models,
      embedder: { id: embedder.id, dimension: embedder.dimension },
      ...(tags ? { tags } : {}),
      random,
      seed,
      ...(options.rounds !== undefined ? { rounds: options.rounds } : {}),
    },
  };
}

/** The federated router to score: one predictor, or also each client's own copy of it. */
export interface FederatedRouters {
  /** Scores the global test set (and each client's, when `perClient` is absent). */
  global: BatchPredictor;
  /** Client i's router scores client i's test set (e.g. the model each client fetched itself). */
  perClient?: readonly BatchPredictor[];
}

export async function runExperiment(
  benchmark: Benchmark,
  options: ExperimentOptions,
): Promise<ExperimentResult> {
  const started = performance.now();
  const prepared = await prepareExperiment(benchmark, options);
  const federated = await options.kind.federated(prepared.trainSets, prepared.context);
  return scoreExperiment(benchmark, prepared, options, { global: federated }, started);
}

/**
 * Trains the centralised and client-local routers and the baselines, scores them with the
 * federated router(s) given, and builds the experiment's result. `started` is when the run
 * began (performance.now()), for `seconds`.
 */
export async function scoreExperiment(
  benchmark: Benchmark,
  prepared: PreparedExperiment,
  options: ExperimentOptions,
  federatedRouters: FederatedRouters,
  started: number,
): Promise<ExperimentResult> {
  const { kind, ...given } = options;
  const { embedder, seed } = given;
  const { splits, trainSets, testSets, globalTest, context } = prepared;
  // The settings echo the options as given (as results written before the split into
  // prepare/score did), over the protocol's defaults; the router is the result's own field.
  const protocol = { ...PROTOCOL_DEFAULTS, ...stripUndefined(given) };
  const { random } = context;
  // Its own stream: resampling must not move the numbers the experiment draws after it.
  const resampling = seededRandom(fmix32(seed ^ 0x5bd1e995));
  const federated = federatedRouters.global;
  const progress = options.progress ?? (() => {});
  const steps = splits.length + 3;
  let step = 0;
  const advance = (label: string) => progress(label, ++step, steps);
  advance("federated router");
  const pooled = concatEvaluationSets(trainSets);
  const centralised = await (kind.centralised
    ? kind.centralised(pooled, context)
    : kind.alone(pooled, context));
  advance("centralised router");
  const kindBaselines = kind.baselines ? await kind.baselines(trainSets, context) : {};
  // The tables every router must beat; they draw no randomness, so nothing else moves.
  const tables = fitBaselines(
    trainSets,
    splits.map((s) => tasksOf(benchmark, s.trainRows)),
  );
  /** Every baseline's router for the test set of these benchmark rows. */
  const baselinesFor = (rows: readonly number[]) => ({
    ...tables.forTestSet(tasksOf(benchmark, rows)),
    ...kindBaselines,
  });
  advance("baselines");
  const clients: ClientResult[] = [];
  const localOnGlobal: Scored[] = [];
  for (const [i, split] of splits.entries()) {
    const train = trainSets[i] as EvaluationSet;
    const local = await kind.alone(train, context);
    const own = testSets[i] as TestSet;
    let mixture: ClientResult["mixture"];
    const ownFederated = federatedRouters.perClient?.[i] ?? federated;
    const ownTest: ClientResult["ownTest"] = {
      local: (await scoreRouter(local, own)).auc,
      federated: (await scoreRouter(ownFederated, own)).auc,
      centralised: (await scoreTrainings(centralised, own)).auc,
    };
    let evidenceWeights: ClientResult["evidenceWeights"];
    /** The personalised routers by their key in `ownTest`; `personalised` is the default. */
    const personalisedRouters: Record<string, BatchPredictor> = {};
    if (options.personalise) {
      const routers = await personalisedPredictors(federated, local, train, (set) =>
        kind.alone(set, context),
      );
      personalisedRouters.personalised = routers.priorEvidence;
      personalisedRouters.personalisedAdaptive = routers.adaptive;
      personalisedRouters.personalisedFixed = routers.fixed;
      for (const [name, r] of Object.entries(routers.variants)) personalisedRouters[`pe-${name}`] = r;
      if (kind.fineTune) personalisedRouters.fineTuned = await kind.fineTune(train, context);
      for (const [name, router] of Object.entries(personalisedRouters))
        ownTest[name] = (await scoreRouter(router, own)).auc;
      mixture = { quality: [...routers.weights.quality], cost: [...routers.weights.cost] };
      evidenceWeights = {
        quality: [...routers.evidenceWeights.quality],
        cost: [...routers.evidenceWeights.cost],
      };
    }
    for (const [name, predictor] of Object.entries(baselinesFor(split.testRows))) {
      ownTest[name] = (await scoreRouter(predictor, own)).auc;
    }
    localOnGlobal.push(await scoreRouter(local, globalTest));
    const compared = { local, federated: ownFederated, ...personalisedRouters };
    clients.push({
      id: split.id,
      nTrain: split.trainRows.length,
      nTest: split.testRows.length,
      tasks: taskCounts(benchmark, split.trainRows),
      ownTest,
      ...(mixture ? { mixture } : {}),
      ...(evidenceWeights ? { evidenceWeights } : {}),
      ...(options.bootstrap
        ? { ownTestSe: await ownTestErrors(compared, own, options.bootstrap, resampling) }
        : {}),
    });
    advance(`client ${i} local router`);
  }
  const fed = await scoreRouter(federated, globalTest);
  const cen = await scoreTrainings(centralised, globalTest);
  const oracle = scoreOracle(globalTest);
  const singles = singleModelPoints(globalTest);
  const cheapestIndex = singles.reduce(
    (best, s, j) => (s.cost < (singles[best]?.cost ?? Infinity) ? j : best),
    0,
  );
  const localAucs = localOnGlobal.map((s) => s.auc);
  const curves: Record<string, CurvePoint[]> = {
    federated: fed.curve,
    centralised: cen.curve,
    oracle: oracle.curve,
  };
  const global: ExperimentResult["global"] = {
    federated: fed.auc,
    centralised: cen.auc,
    localMin: Math.min(...localAucs),
    localMax: Math.max(...localAucs),
    oracle: oracle.auc,
    bestSingle: Math.max(...singles.map((s) => s.quality)),
    cheapest: singles[cheapestIndex]?.quality ?? 0,
    random: scoreRandom(globalTest, random).auc,
  };
  // The global test set is the clients' test sets concatenated in order (prepareExperiment).
  const globalRows = splits.flatMap((s) => s.testRows);
  for (const [name, predictor] of Object.entries(baselinesFor(globalRows))) {
    const scored = await scoreRouter(predictor, globalTest);
    global[name] = scored.auc;
    curves[name] = scored.curve;
  }
  localOnGlobal.forEach((s, i) => {
    curves[`local-${i}`] = s.curve;
  });
  return {
    dataset: benchmark.name,
    router: kind.name,
    seed,
    seconds: (performance.now() - started) / 1000,
    settings: {
      ...protocol,
      embedder: embedder.id,
      dimension: embedder.dimension,
      ...(options.rounds !== undefined ? { rounds: options.rounds } : {}),
      ...(context.tags ? { tagVocabulary: [...context.tags] } : {}),
    },
    clients,
    global,
    curves,
    singleModels: singles.map((s, j) => ({ model: benchmark.models[j] as string, ...s })),
  };
}

export function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Bootstrap standard errors of a client's own-test AUC differences (see `ownTestSe`). */
async function ownTestErrors(
  routers: { local: BatchPredictor; federated: BatchPredictor } & Record<string, BatchPredictor>,
  own: TestSet,
  resamples: number,
  random: Random,
): Promise<NonNullable<ClientResult["ownTestSe"]>> {
  const predictions: Record<string, Awaited<ReturnType<BatchPredictor>>> = {};
  for (const [name, predict] of Object.entries(routers)) predictions[name] = await predict(own.features);
  const aucs = pairedBootstrap(own, predictions, resamples, random);
  const local = aucs.local!;
  const federated = aucs.federated!;
  const minusBest: Record<string, number> = {};
  for (const [name, values] of Object.entries(aucs)) {
    if (name === "local" || name === "federated") continue;
    minusBest[name] = standardError(values.map((p, b) => p - Math.max(local[b]!, federated[b]!)));
  }
  const { personalised, ...variants } = minusBest;
  return {
    resamples,
    localMinusFederated: standardError(local.map((l, b) => l - federated[b]!)),
    ...(personalised !== undefined ? { personalisedMinusBest: personalised } : {}),
    ...(Object.keys(variants).length > 0 ? { minusBest: variants } : {}),
  };
}
