// The online scenario: a federation learning from the traffic its router serves. Each client routes
// its stream of training queries with the current router and an exploration policy, observes only
// the chosen model's quality and cost, and joins a round every `batch` queries; the federation then
// trains its next version on everything the clients observed so far, with or without
// inverse-propensity weights. Unlike the paper's protocol, the judged model depends on the query.
import type { Benchmark } from "../core/data/benchmark.ts";
import { type EvaluationSet, emptyEvaluationSet } from "../core/data/evaluations.ts";
import type { Embedder } from "../core/embedder/embedder.ts";
import {
  DEFAULT_WEIGHT_CLIP,
  EXPLORATION_POLICIES,
  type ExplorationPolicy,
  explorationFor,
  POLICY_SETTINGS,
  propensityWeights,
} from "../core/exploration.ts";
import type { BatchPredictor } from "../core/prediction.ts";
import { fmix32, type Random, seededRandom, shuffle } from "../core/random.ts";
import type { KindExperiment } from "../core/routers/kind.ts";
import { route } from "../core/routing.ts";
import { fitBaselines } from "./baselines.ts";
import { scoreRouter, singleModelPoints, type TestSet } from "./evaluate.ts";
import { prepareExperiment } from "./harness.ts";
import type { ProtocolOptions } from "./protocol.ts";

export type Weighting = "ips" | "none";
export type PolicyName = (typeof EXPLORATION_POLICIES)[number];

/** Queries each client routes between rounds, and the most rounds, by default (docs/exploration.md). */
export const ONLINE_DEFAULTS = { batch: 50, rounds: 8, seedShare: 0.1 } as const;

export interface OnlineOptions extends Partial<ProtocolOptions> {
  seed: number;
  kind: KindExperiment;
  embedder: Embedder;
  /** Queries a client routes before it joins the next round. */
  batch?: number;
  /** Most rounds (fewer when the clients' streams run out first). */
  rounds?: number;
  /**
   * "first-version": clients start from the federation's first version, which knows nothing, so
   * the first batch is routed uniformly at random; "seed-set": the federation first trains on a
   * small offline seed set (`seedShare` of each client's stream, judged as in the paper's protocol).
   */
  start?: "first-version" | "seed-set";
  seedShare?: number;
  /** The lambda the app routes with (USD); default: the exchange rate of the best and cheapest models. */
  lambda?: number;
  /** The settings each policy is measured at (default: POLICY_SETTINGS). */
  policies?: Partial<Record<PolicyName, ExplorationPolicy>>;
  /** The (policy, weighting) pairs run, in this order (default: every policy, ips then none). */
  runs?: readonly { policy: PolicyName; weighting: Weighting }[];
  /** Inverse-propensity weights are clipped at this (default DEFAULT_WEIGHT_CLIP). */
  weightClip?: number;
  /**
   * Trainings of the last version (and of the paper-protocol router), each on its own random
   * stream, whose mean AUC is reported beside the one training's (default 1: that one alone). One
   * MLP training's AUC moves with its stream by more than the margins compared (docs/exploration.md).
   */
  finalTrainings?: number;
  progress?: (label: string, done: number, total: number) => void;
}

export interface PolicyRun {
  policy: PolicyName;
  weighting: Weighting;
  /** The setting it ran at (epsilon or temperature). */
  settings: ExplorationPolicy;
  /** After each round: the clients' mean realised utility over the queries routed before it, and global test AUC. */
  rounds: { round: number; utility: number; auc: number }[];
  /**
   * After the last round (its utility is the last round's). With `finalTrainings` > 1, `aucs` holds
   * the AUC of each training of the last version (the first is `auc`) and `meanAuc` their mean.
   */
  final: { utility: number; auc: number; aucs?: number[]; meanAuc?: number };
  /** Mean realised utility over every query the clients routed: what learning cost them. */
  meanUtility: number;
}

export interface OnlineResult {
  scenario: "online";
  dataset: string;
  router: string;
  seed: number;
  seconds: number;
  settings: {
    batch: number;
    rounds: number;
    start: "first-version" | "seed-set";
    seedShare?: number;
    lambda: number;
    weightClip: number;
    finalTrainings: number;
    clients: number;
    embedder: string;
  };
  policies: PolicyRun[];
  default: { policy: PolicyName; weighting: Weighting };
  /** Global test AUCs of the references: the paper-protocol federated router and the baselines. */
  global: { paperFederated: number; paperFederatedMean?: number; oracle?: number } & Record<string, number>;
}

/** One client's observations so far: benchmark row, chosen model, its propensity (NaN: offline). */
interface Observations {
  rows: number[];
  models: number[];
  propensities: number[];
}

/**
 * The lambda at which the best single model (highest mean quality) and the cheapest one have the
 * same utility: an app routing at it gains only by telling queries apart, whatever the data's units.
 */
export function exchangeRateLambda(test: TestSet): number {
  const singles = singleModelPoints(test);
  const best = singles.reduce((a, s) => (s.quality > a.quality ? s : a));
  const cheapest = singles.reduce((a, s) => (s.cost < a.cost ? s : a));
  const dq = best.quality - cheapest.quality;
  const dc = best.cost - cheapest.cost;
  return dq > 0 && dc > 0 ? dq / dc : 0;
}

/** The evaluation set of one client's observations, weighted by inverse propensity when asked. */
function observedSet(
  benchmark: Benchmark,
  features: readonly Float32Array[],
  seen: Observations,
  weighting: Weighting,
  clip: number,
): EvaluationSet {
  const m = benchmark.models.length;
  const d = features[0]?.length ?? 0;
  const set = emptyEvaluationSet(seen.rows.length, d, m);
  const propensities = new Float64Array(seen.rows.length * m).fill(Number.NaN);
  seen.rows.forEach((row, q) => {
    const j = seen.models[q]!;
    set.features.set(features[row]!, q * d);
    set.observed[q * m + j] = 1;
    set.quality[q * m + j] = benchmark.quality[row * m + j]!;
    set.cost[q * m + j] = benchmark.cost[row * m + j]!;
    propensities[q * m + j] = seen.propensities[q]!;
  });
  if (weighting === "ips") set.weight = propensityWeights(propensities, clip);
  return set;
}

/** Routes a batch of rows with the router's predictions and a policy; returns choices and utility. */
async function routeBatch(
  router: BatchPredictor | null,
  rows: readonly number[],
  benchmark: Benchmark,
  features: readonly Float32Array[],
  exploration: ExplorationPolicy,
  lambda: number,
  random: Random,
  seen: Observations,
): Promise<number> {
  const m = benchmark.models.length;
  const d = features[0]?.length ?? 0;
  const batch = new Float32Array(rows.length * d);
  for (const [i, row] of rows.entries()) batch.set(features[row]!, i * d);
  const p = router ? await router(batch) : null;
  let utility = 0;
  rows.forEach((row, i) => {
    let model: number;
    let propensity: number;
    if (!p) {
      // The first version knows nothing of any model: every policy tries them uniformly.
      model = Math.min(m - 1, Math.floor(random() * m));
      propensity = 1 / m;
    } else {
      const decision = route(
        benchmark.models,
        {
          quality: p.quality.subarray(i * m, (i + 1) * m),
          cost: p.cost.subarray(i * m, (i + 1) * m),
          ...(p.available ? { available: p.available.subarray(i * m, (i + 1) * m) } : {}),
        },
        { lambda, exploration },
        random,
      );
      model = decision.index;
      propensity = decision.propensity;
    }
    seen.rows.push(row);
    seen.models.push(model);
    seen.propensities.push(propensity);
    utility += benchmark.quality[row * m + model]! - lambda * benchmark.cost[row * m + model]!;
  });
  return rows.length > 0 ? utility / rows.length : 0;
}

export async function onlineScenario(benchmark: Benchmark, options: OnlineOptions): Promise<OnlineResult> {
  const started = performance.now();
  const { seed, kind, embedder } = options;
  const batch = options.batch ?? ONLINE_DEFAULTS.batch;
  const maxRounds = options.rounds ?? ONLINE_DEFAULTS.rounds;
  const start = options.start ?? "first-version";
  const seedShare = options.seedShare ?? ONLINE_DEFAULTS.seedShare;
  if (!(Number.isInteger(batch) && batch >= 1)) throw new RangeError(`batch must be an integer >= 1`);
  if (!(seedShare > 0 && seedShare < 1)) throw new RangeError(`seedShare must be in (0, 1)`);
  const weightClip = options.weightClip ?? DEFAULT_WEIGHT_CLIP;
  if (!(weightClip >= 1)) throw new RangeError(`weightClip must be at least 1`);
  const finalTrainings = options.finalTrainings ?? 1;
  if (!(Number.isInteger(finalTrainings) && finalTrainings >= 1))
    throw new RangeError(`finalTrainings must be an integer >= 1`);
  const progress = options.progress ?? (() => {});
  const {
    kind: _kind,
    policies: _policies,
    runs: _runs,
    weightClip: _weightClip,
    finalTrainings: _finalTrainings,
    progress: _progress,
    ...given
  } = options;
  const prepared = await prepareExperiment(benchmark, given);
  const { splits, features, globalTest, context } = prepared;
  const lambda = options.lambda ?? exchangeRateLambda(globalTest);
  // Every policy sees the same streams in the same order.
  const order = seededRandom(fmix32(seed ^ 0x0b5e55ed));
  const streams = splits.map((s) => shuffle(order, [...s.trainRows]));
  const seedRows = streams.map((stream) =>
    start === "seed-set" ? stream.slice(0, Math.max(1, Math.round(seedShare * stream.length))) : [],
  );
  const routed = streams.map((stream, i) => stream.slice(seedRows[i]!.length));
  const rounds = Math.min(maxRounds, Math.ceil(Math.max(...routed.map((r) => r.length)) / batch));
  const settings = { ...POLICY_SETTINGS, ...options.policies };
  const runs =
    options.runs ??
    EXPLORATION_POLICIES.flatMap((policy) =>
      (["ips", "none"] as const).map((weighting) => ({ policy, weighting })),
    );
  if (runs.length === 0) throw new RangeError("no (policy, weighting) pair to run");
  const steps = runs.length * rounds + 1;
  let step = 0;
  const train = (sets: EvaluationSet[], round: number) =>
    kind.federated(sets, { ...context, random: seededRandom(fmix32(seed * 7919 + round)) });
  /** AUCs of the further trainings of a version, each on a stream of its own (none when finalTrainings is 1). */
  const retrained = async (sets: EvaluationSet[], salt: number): Promise<number[]> => {
    const aucs: number[] = [];
    for (let t = 1; t < finalTrainings; t++) {
      // Another seed as well as another stream: the MLP draws its initial weights, cohorts and
      // dropout from the context's seed alone (so that the edge can follow a run).
      const other = fmix32((seed * 7919) ^ (salt + 0x51f15e * t));
      const random = seededRandom(other);
      aucs.push(
        (await scoreRouter(await kind.federated(sets, { ...context, seed: other, random }), globalTest)).auc,
      );
    }
    return aucs;
  };
  const average = (xs: readonly number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;

  progress("paper-protocol federated router", step, steps);
  const paper = await kind.federated(prepared.trainSets, {
    ...context,
    random: seededRandom(fmix32(seed * 7919 + 0x9e37)),
  });
  const global: OnlineResult["global"] = { paperFederated: (await scoreRouter(paper, globalTest)).auc };
  if (finalTrainings > 1)
    global.paperFederatedMean = average([
      global.paperFederated,
      ...(await retrained(prepared.trainSets, 0x9e37)),
    ]);
  const tables = fitBaselines(
    prepared.trainSets,
    splits.map((s) => s.trainRows.map((r) => benchmark.tasks[r] as string)),
  );
  const globalRows = splits.flatMap((s) => s.testRows);
  for (const [name, predictor] of Object.entries(
    tables.forTestSet(globalRows.map((r) => benchmark.tasks[r] as string)),
  )) {
    global[name] = (await scoreRouter(predictor, globalTest)).auc;
  }
  progress("paper-protocol federated router", ++step, steps);

  const policies: PolicyRun[] = [];
  for (const run of runs) {
    const exploration = settings[run.policy] as ExplorationPolicy;
    const random = seededRandom(fmix32(seed ^ 0x5eed0f));
    const seen: Observations[] = splits.map((split, i) => {
      // The offline seed set: the paper's judged model, chosen without regard to the query.
      const judged = new Map(split.trainRows.map((row, q) => [row, split.judgedModel[q]!]));
      const rows = seedRows[i]!;
      return {
        rows: [...rows],
        models: rows.map((row) => judged.get(row)!),
        propensities: rows.map(() => Number.NaN),
      };
    });
    const sets = () => seen.map((s) => observedSet(benchmark, features, s, run.weighting, weightClip));
    let router: BatchPredictor | null = start === "seed-set" ? await train(sets(), 0) : null;
    const history: PolicyRun["rounds"] = [];
    let utilitySum = 0;
    let queries = 0;
    for (let round = 1; round <= rounds; round++) {
      let utility = 0;
      let active = 0;
      for (const [i, stream] of routed.entries()) {
        const rows = stream.slice((round - 1) * batch, round * batch);
        if (rows.length === 0) continue;
        const s = seen[i]!;
        const mean = await routeBatch(router, rows, benchmark, features, exploration, lambda, random, s);
        utility += mean;
        utilitySum += mean * rows.length;
        queries += rows.length;
        active++;
      }
      router = await train(sets(), round);
      const auc = (await scoreRouter(router, globalTest)).auc;
      history.push({ round, utility: active > 0 ? utility / active : 0, auc });
      progress(`${run.policy} ${run.weighting}`, ++step, steps);
    }
    const last = history[history.length - 1] ?? { utility: 0, auc: 0 };
    const aucs = finalTrainings > 1 ? [last.auc, ...(await retrained(sets(), rounds))] : undefined;
    policies.push({
      ...run,
      settings: exploration,
      rounds: history,
      final: { utility: last.utility, auc: last.auc, ...(aucs ? { aucs, meanAuc: average(aucs) } : {}) },
      meanUtility: queries > 0 ? utilitySum / queries : 0,
    });
  }
  return {
    scenario: "online",
    dataset: benchmark.name,
    router: kind.name,
    seed,
    seconds: (performance.now() - started) / 1000,
    settings: {
      batch,
      rounds,
      start,
      ...(start === "seed-set" ? { seedShare } : {}),
      lambda,
      weightClip,
      finalTrainings,
      clients: splits.length,
      embedder: embedder.id,
    },
    policies,
    default: { policy: policyName(explorationFor(kind.name)), weighting: "ips" },
    global,
  };
}

function policyName(exploration: ExplorationPolicy): PolicyName {
  return exploration.policy;
}
