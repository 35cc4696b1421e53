// The DP experiment: the federated router trained without noise and under client-level DP at each
// epsilon (one delta), over many clients, scored on the global test set beside the query-blind and
// task-label baselines. Only the federated routers train (no client-local or centralised ones):
// at 1,000 clients those would cost far more than the measurement needs.
import type { Benchmark } from "../core/data/benchmark.ts";
import type { EvaluationSet } from "../core/data/evaluations.ts";
import type { Embedder } from "../core/embedder/embedder.ts";
import type { FederatedAlgorithm } from "../core/federated.ts";
import { KMEANS_DEFAULTS, type KMeansState } from "../core/kmeans/state.ts";
import { MLP_DEFAULTS } from "../core/mlp/config.ts";
import type { MlpState } from "../core/mlp/state.ts";
import { noiseMultiplierFor } from "../core/privacy/calibration.ts";
import {
  kmeansClip,
  kmeansPlannedPasses,
  kmeansWithinPlan,
  suppressSmallCells,
} from "../core/privacy/kmeans-clip.ts";
import { projectedKMeans, publicProjection } from "../core/privacy/kmeans-projection.ts";
import { type NoisedRelease, spent } from "../core/privacy/ledger.ts";
import { mlpAfterNoise, mlpClip, mlpPlannedPasses } from "../core/privacy/mlp-clip.ts";
import { type ClientLevelPrivacy, privatised } from "../core/privacy/private-algorithm.ts";
import { fmix32, seededRandom } from "../core/random.ts";
import type { Hyperparameters, TrainingContext } from "../core/routers/kind.ts";
import { fitBaselines } from "./baselines.ts";
import { scoreRouter } from "./evaluate.ts";
import { prepareExperiment } from "./harness.ts";
import { kindExperiment } from "./kind-experiment.ts";

export interface PrivacyExperimentOptions {
  router: string;
  seed: number;
  clients: number;
  epsilons: readonly number[];
  delta: number;
  embedder: Embedder;
  /** Per-pass cap of a client's contribution (K-means: in points; MLP: the L2 norm of its vector). */
  cap?: number;
  /**
   * K-means: dimensions of the public random subspace the private clustering runs in
   * (kmeans-projection.ts); 0 or at least the embedder's: the embedding itself.
   */
  projection?: number;
  /** Hyperparameters of the router (`--set`), over the private defaults (PRIVATE_SETTINGS). */
  hyperparameters?: Hyperparameters;
  /**
   * Noise draws per epsilon (default 1): the same training with independent noise, to tell the
   * noise's effect from one draw's luck.
   */
  repeats?: number;
  progress?: (label: string, done: number, total: number) => void;
}

/** One epsilon's row: the noise it took and the AUC it left. */
export interface PrivacyRow {
  epsilon: number;
  noiseMultiplier: number;
  passes: number;
  /** epsilon the ledger adds up to (at most the target). */
  spent: number;
  /** Mean AUC over the noise draws. */
  auc: number;
  /** Each draw's AUC. */
  aucs: number[];
}

export interface PrivacyExperimentResult {
  dataset: string;
  router: string;
  seed: number;
  clients: number;
  delta: number;
  cap: number;
  /** K-means: the subspace's dimensions (absent: the embedding's own). */
  projection?: number;
  /** The router's hyperparameters, defaults included. */
  hyperparameters: Hyperparameters;
  nonPrivate: number;
  baselines: Record<string, number>;
  rows: PrivacyRow[];
  seconds: number;
}

/** Fixed-point steps per unit, as the secure-aggregation encoding uses. */
const SCALE = 1 << 16;
/** Suppress a K-means cell below this many noise standard deviations of its count. */
const SUPPRESSION_STDDEVS = 2;
// MLP: at 40 the clip scaled nearly every client and cost ~0.008 AUC at ε 8 and at ε 16 alike (1,000
// clients, hidden 128); with the row count in units of 10 (mlp-clip.ts), 80 covers a typical
// client's weighted delta and puts less noise on the statistics passes than 100 did.
const DEFAULT_CAP: Record<string, number> = { kmeans: 16, mlp: 80 };
/**
 * Settings private runs default to (the non-private router of the comparison uses them too). Every
 * pass costs budget, so K-means takes 2 Lloyd and 2 power passes per doubling: 10 passes for
 * 4 clusters, 14 for 8. With 4 clusters for the synthetic benchmark's 6 tasks the AUC hung on which
 * tasks merged: at epsilon 8 it moved by up to 0.03 between noise draws (seed 3: 0.722 to 0.754);
 * with 8 by at most 0.007, and 16 clusters, each with fewer clients under the same noise, lost 0.019
 * on seed 1 (docs/privacy.md). The MLP takes every client into every round: the accounting
 * charges each pass as if all took part (sampling rate 1), so sampling 60% only threw signal away;
 * and 128 hidden units, for run time (a 1,000-client training in about a minute, 512 units about
 * eight). The 512-unit router is better (seed 1: 0.7185 non-private, 0.7170 at ε 8 in one draw,
 * against 0.686 and 0.683 for 128 units; docs/privacy.md).
 */
const PRIVATE_SETTINGS: Record<string, Hyperparameters> = {
  kmeans: { clusters: 8, lloydPasses: 2, powerPasses: 2 },
  mlp: { hidden: 128, fraction: 1 },
};
/** Share of a K-means training's budget spent on its statistics pass. */
const STATS_SHARE = 0.5;

/** Public cost scales: each model's median observed price per query (list prices are public). */
function costUnits(benchmark: Benchmark): number[] {
  const m = benchmark.models.length;
  return benchmark.models.map((_, j) => {
    const costs: number[] = [];
    for (let i = j; i < benchmark.cost.length; i += m)
      if (benchmark.cost[i]! > 0) costs.push(benchmark.cost[i]!);
    costs.sort((a, b) => a - b);
    return costs[Math.floor(costs.length / 2)] ?? 1;
  });
}

function privacyFor(
  router: string,
  noiseMultiplier: number,
  cap: number,
  units: readonly number[],
  noiseSeed: number,
  ledger: NoisedRelease[],
  passes: number,
  projection: number,
): NonNullable<TrainingContext["privatise"]> {
  return <Global>(given: FederatedAlgorithm<Global, EvaluationSet>, initial: Global) => {
    let algorithm = given;
    let pointLength = 1;
    let dimension: number | undefined;
    if (router === "kmeans") {
      const { config } = initial as KMeansState;
      const d = config.embedder.dimension;
      if (projection > 0 && projection < d) {
        // The subspace is a function of the federation's public configuration (its seed).
        const subspace = publicProjection(config.seed, d, projection);
        algorithm = projectedKMeans(
          given as FederatedAlgorithm<KMeansState, EvaluationSet>,
          subspace,
        ) as FederatedAlgorithm<Global, EvaluationSet>;
        pointLength = Math.sqrt(projection / d);
        dimension = projection;
      }
    }
    const minimum = SUPPRESSION_STDDEVS * noiseMultiplier * Math.sqrt(1 / (passes * STATS_SHARE)) * cap;
    const privacy: ClientLevelPrivacy<Global> =
      router === "kmeans"
        ? {
            // The statistics pass, which routing reads directly, gets half the budget (RDP adds
            // α/(2z²) per pass, so the ledger's total is that of `passes` passes at z).
            noiseMultiplier: (global) =>
              (global as KMeansState).phase === "stats"
                ? noiseMultiplier * Math.sqrt(1 / (passes * STATS_SHARE))
                : noiseMultiplier * Math.sqrt((passes - 1) / (passes * (1 - STATS_SHARE))),
            scale: SCALE,
            random: seededRandom(noiseSeed),
            clip: (global) =>
              kmeansClip(global as KMeansState, algorithm.contributionLength(global), {
                cap,
                costUnits: units,
                pointLength,
                ...(dimension ? { dimension } : {}),
              }),
            afterNoise: (global, total) =>
              (global as KMeansState).phase === "stats"
                ? suppressSmallCells(total, minimum, (global as KMeansState).config.models.length)
                : total,
            withinPlan: (next, charged) => kmeansWithinPlan(next as KMeansState, charged, passes) as Global,
          }
        : {
            noiseMultiplier: () => noiseMultiplier,
            scale: SCALE,
            random: seededRandom(noiseSeed),
            clip: (global) =>
              mlpClip(global as MlpState, algorithm.contributionLength(global), { cap, costUnits: units }),
            afterNoise: (global, total) => mlpAfterNoise(global as MlpState, total),
          };
    return privatised(algorithm, privacy, ledger);
  };
}

/** The noise's seed for one draw: the first draw's is the one single-draw runs always used. */
function noiseSeed(seed: number, draw: number): number {
  return fmix32(seed ^ 0x6470 ^ Math.imul(draw, 0x9e3779b1));
}

/** The lowest and highest of several draws' AUCs. */
function aucRange(aucs: readonly number[]): string {
  return `${Math.min(...aucs).toFixed(4)} to ${Math.max(...aucs).toFixed(4)}`;
}

/** Passes the router can take, from its configuration (the noise is set for all of them). */
function plannedPasses(router: string, hyperparameters: Hyperparameters): number {
  const setting = (name: string, fallback: number) => {
    const value = hyperparameters[name];
    return typeof value === "number" ? value : fallback;
  };
  if (router === "kmeans") {
    return kmeansPlannedPasses({
      clusters: setting("clusters", KMEANS_DEFAULTS.clusters),
      lloydPasses: setting("lloydPasses", KMEANS_DEFAULTS.lloydPasses),
      powerPasses: setting("powerPasses", KMEANS_DEFAULTS.powerPasses),
    });
  }
  return mlpPlannedPasses({
    rounds: setting("rounds", MLP_DEFAULTS.rounds),
    validationShare: setting("validationShare", MLP_DEFAULTS.validationShare),
    calibrate: hyperparameters.calibrate !== false,
  });
}

export async function privacyExperiment(
  benchmark: Benchmark,
  options: PrivacyExperimentOptions,
): Promise<PrivacyExperimentResult> {
  const started = performance.now();
  const { router, seed, clients, delta } = options;
  const cap = options.cap ?? DEFAULT_CAP[router] ?? 16;
  const projection = router === "kmeans" ? (options.projection ?? 0) : 0;
  const progress = options.progress ?? (() => {});
  const prepared = await prepareExperiment(benchmark, { seed, embedder: options.embedder, clients });
  const { trainSets, globalTest, splits } = prepared;
  const freshContext = (): TrainingContext => ({ ...prepared.context, random: seededRandom(fmix32(seed)) });
  const hyperparameters = { ...PRIVATE_SETTINGS[router], ...options.hyperparameters };
  const repeats = options.repeats ?? 1;
  const kind = await kindExperiment(router, hyperparameters);
  const total = options.epsilons.length + 1;
  progress("non-private federated router", 0, total);
  const nonPrivate = (await scoreRouter(await kind.federated(trainSets, freshContext()), globalTest)).auc;
  progress(`non-private AUC ${nonPrivate.toFixed(4)}`, 0, total);
  const tasks = splits.map((s) => s.trainRows.map((row) => benchmark.tasks[row] as string));
  const baselines: Record<string, number> = {};
  const testTasks = splits.flatMap((s) => s.testRows.map((row) => benchmark.tasks[row] as string));
  for (const [name, predictor] of Object.entries(fitBaselines(trainSets, tasks).forTestSet(testTasks))) {
    baselines[name] = (await scoreRouter(predictor, globalTest)).auc;
  }
  const units = costUnits(benchmark);
  const passes = plannedPasses(router, hyperparameters);
  const rows: PrivacyRow[] = [];
  for (const [i, epsilon] of options.epsilons.entries()) {
    progress(`federated router at epsilon ${epsilon}`, i + 1, total);
    // Calibrated for the fewest contributors a pass can have (the MLP samples 60% a round) and a
    // long vector, so that the charge for the sum's distance from one discrete Gaussian is covered.
    const plan = {
      l2Sensitivity: cap * SCALE,
      clients: Math.max(1, Math.round(0.6 * clients)),
      dimension: 1 << 20,
      samplingRate: 1,
      rounds: passes,
    };
    const z = noiseMultiplierFor(plan, epsilon, delta);
    const aucs: number[] = [];
    let ledger: NoisedRelease[] = [];
    for (let draw = 0; draw < repeats; draw++) {
      ledger = [];
      const context = {
        ...freshContext(),
        privatise: privacyFor(router, z, cap, units, noiseSeed(seed, draw), ledger, passes, projection),
      };
      aucs.push((await scoreRouter(await kind.federated(trainSets, context), globalTest)).auc);
    }
    const auc = aucs.reduce((a, b) => a + b, 0) / aucs.length;
    const row = {
      epsilon,
      noiseMultiplier: z,
      passes: ledger.length,
      spent: spent(ledger, delta).epsilon,
      auc,
      aucs,
    };
    rows.push(row);
    // Each row as it lands: a long run stopped early still leaves its rows in the log.
    progress(
      `epsilon ${epsilon}: AUC ${auc.toFixed(4)}${repeats > 1 ? ` (${aucRange(aucs)})` : ""} (non-private ${nonPrivate.toFixed(4)}), z ${z.toFixed(3)}, spent ${row.spent.toFixed(3)} in ${row.passes} passes`,
      i + 1,
      total,
    );
  }
  progress("done", total, total);
  return {
    dataset: benchmark.name,
    router,
    seed,
    clients,
    delta,
    cap,
    ...(projection > 0 ? { projection } : {}),
    hyperparameters,
    nonPrivate,
    baselines,
    rows,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The result as a table: one line per epsilon, the non-private router and the baselines after. */
export function privacyTable(result: PrivacyExperimentResult): string {
  const lines = [
    `${result.dataset}: ${result.router} router, ${result.clients} clients, seed ${result.seed}, delta ${result.delta}, cap ${result.cap}${result.projection ? `, ${result.projection}-d subspace` : ""}`,
    "epsilon  noise z  passes  spent   AUC     vs non-private  draws",
  ];
  for (const row of result.rows) {
    const draws = row.aucs.length > 1 ? `${row.aucs.length}: ${aucRange(row.aucs)}` : "1";
    lines.push(
      `${String(row.epsilon).padEnd(8)} ${row.noiseMultiplier.toFixed(3).padEnd(8)} ${String(row.passes).padEnd(7)} ${row.spent.toFixed(3).padEnd(7)} ${row.auc.toFixed(4)}  ${((row.auc - result.nonPrivate >= 0 ? "+" : "") + (row.auc - result.nonPrivate).toFixed(4)).padEnd(15)} ${draws}`,
    );
  }
  lines.push(`non-private ${result.nonPrivate.toFixed(4)}`);
  for (const [name, auc] of Object.entries(result.baselines)) lines.push(`${name} ${auc.toFixed(4)}`);
  return lines.join("\n");
}

/**
 * Several results as one Markdown table: a line per router and seed, AUC at each epsilon (and its
 * difference from the non-private router), the non-private router and the baselines beside.
 */
export function privacySeedTable(results: readonly PrivacyExperimentResult[]): string {
  const epsilons = [...new Set(results.flatMap((r) => r.rows.map((row) => row.epsilon)))].sort(
    (a, b) => a - b,
  );
  const baselines = [...new Set(results.flatMap((r) => Object.keys(r.baselines)))];
  const header = [
    "router",
    "data",
    "clients",
    "seed",
    "non-private",
    ...epsilons.map((e) => `ε ${e}`),
    ...baselines,
  ];
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
  for (const result of results) {
    const cells = epsilons.map((epsilon) => {
      const row = result.rows.find((r) => r.epsilon === epsilon);
      if (!row) return "";
      const gap = row.auc - result.nonPrivate;
      const mean = `${row.auc.toFixed(4)} (${gap >= 0 ? "+" : "−"}${Math.abs(gap).toFixed(4)})`;
      return row.aucs.length > 1 ? `${mean}, ${row.aucs.length} draws ${aucRange(row.aucs)}` : mean;
    });
    const base = baselines.map((name) => result.baselines[name]?.toFixed(4) ?? "");
    lines.push(
      `| ${[result.router, result.dataset, result.clients, result.seed, result.nonPrivate.toFixed(4), ...cells, ...base].join(" | ")} |`,
    );
  }
  return lines.join("\n");
}
