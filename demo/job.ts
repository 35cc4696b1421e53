// The main job end to end: the benchmark split as `fedrouter experiment` splits it, the local
// edge, a demo tenant with one federation per router, ten organisations (SDK clients over HTTP)
// training each router over secure rounds, and every organisation scoring what it fetched.
import type { Benchmark } from "../core/data/benchmark.ts";
import { syntheticBenchmark } from "../core/data/synthetic.ts";
import { routerKind } from "../core/routers/registry.ts";
import { describeReport, loadBenchmark } from "../experiments/data/load.ts";
import { runEmbedder } from "../experiments/embeddings/choose.ts";
import { type ExperimentResult, prepareExperiment } from "../experiments/harness.ts";
import { kindExperiment } from "../experiments/kind-experiment.ts";
import { type LocalEdge, startEdge } from "../operator/local-edge.ts";
import { createFederation, createTenant } from "../operator/owner-api.ts";
import type { MainOptions } from "./arguments.ts";
import { rememberingEmbedder } from "./embedder.ts";
import { reportEvaluations, scoreOverEdge, syncAll } from "./evaluate.ts";
import { demoFederationConfig } from "./federations.ts";
import { createOrganisations, enrolOrganisations, recordEvaluations } from "./organisations.ts";
import type { Progress } from "./progress.ts";
import type { RouterReport } from "./report.ts";
import { dropoutDrills, runRounds } from "./rounds.ts";

export interface JobResult {
  dataset: string;
  dashboardUrl: string;
  routers: RouterReport[];
}

/** Rounds poll the edge on loopback: a short interval keeps rounds short. */
const POLL_INTERVAL_MS = 60;
const ROUND_TIMEOUT_MS = 5 * 60_000;
const MAX_ROUNDS = 500;

function loadData(options: MainOptions, progress: Progress): Benchmark {
  if (!options.data) {
    const benchmark = syntheticBenchmark({ seed: options.seed });
    progress.log(
      `data: synthetic benchmark (${benchmark.ids.length} queries, ${benchmark.models.length} models)`,
    );
    return benchmark;
  }
  const loaded = loadBenchmark(options.data);
  for (const line of describeReport(loaded.report)) progress.log(`data: ${line}`);
  return loaded.benchmark;
}

/**
 * Runs the job. `onEdge` receives the edge while it starts, so the caller can stop it whatever
 * happens next (even a failure before it is up).
 */
export async function runJob(
  options: MainOptions,
  root: string,
  progress: Progress,
  onEdge: (starting: Promise<LocalEdge>) => void,
): Promise<JobResult> {
  const { seed } = options;
  const benchmark = loadData(options, progress);
  // workerd compiles the worker while the queries are embedded.
  const edgeStarting = startEdge({
    root,
    stateDir: options.state,
    ...(options.port === undefined ? {} : { port: options.port }),
  });
  onEdge(edgeStarting);
  progress.report("setup", "starting the edge and embedding the queries", 0, 1);
  // An encoder's vectors come from the disk cache, computed on every core when it is cold.
  const base = await runEmbedder(options.embedder, {
    progress: (label, done, total) => progress.report("setup", label, done, total),
  });
  const first = await prepareExperiment(benchmark, { seed, embedder: base });
  // Every later embedding of a benchmark query (the harness's, the organisations') is a look-up.
  const embedder = rememberingEmbedder(base, benchmark.prompts, first.features);
  const edge = await edgeStarting;
  progress.report("setup", "edge running", 1, 1);
  progress.log(`edge: ${edge.url} (state in ${options.state})`);

  const owner = await createTenant(edge.url, edge.operatorToken, "fedrouter demo", 1_000_000);
  const organisations = createOrganisations(first.splits);
  const federations = new Map<string, { id: string; config: ReturnType<typeof demoFederationConfig> }>();
  for (const kind of options.routers) {
    const config = demoFederationConfig({
      kind,
      benchmark,
      embedder: base,
      seed,
      trainSets: first.trainSets,
    });
    const federation = await createFederation(owner, config);
    federations.set(kind, { id: federation.id, config });
    await enrolOrganisations(organisations, {
      owner,
      federationId: federation.id,
      kind,
      embedder,
      pollIntervalMs: POLL_INTERVAL_MS,
    });
    progress.log(`${kind}: federation ${federation.id}, ${organisations.length} organisations enrolled`);
  }
  // One store per organisation, shared by its clients: recorded once, through the SDK.
  await recordEvaluations(organisations, benchmark, first.splits, options.routers[0]!);
  const trainingStarted = performance.now();

  // The federations train at the same time: rounds mostly wait on the network and the edge.
  const trained = await Promise.all(
    options.routers.map(async (kind) => {
      const { id: federationId, config } = federations.get(kind)!;
      const task = routerKind(kind).label;
      const rounds = await runRounds({
        kind,
        owner,
        federationId,
        setup: {
          models: config.models.map((m) => m.id),
          embedder: config.embedder,
          hyperparameters: config.router.hyperparameters ?? {},
        },
        organisations,
        seed,
        fraction: config.roundPolicy.participationFraction,
        drops: dropoutDrills(config.roundPolicy.participationFraction),
        roundTimeoutMs: ROUND_TIMEOUT_MS,
        maxRounds: MAX_ROUNDS,
        onProgress: (done, total, label) => progress.report(task, label, done, total),
        onRound: (r) => {
          const drops = r.dropped.map((d) => `, organisation ${d.organisation} dropped after ${d.stopAfter}`);
          progress.log(
            `${kind} round ${r.round}: ${r.participants.length} of ${r.cohort.length} inputs summed${drops.join("")}, v${r.version} (${r.phase}) ${r.seconds.toFixed(1)} s`,
          );
        },
      });
      const clipped = rounds.reduce((sum, r) => sum + r.clipped, 0);
      if (clipped > 0)
        progress.log(
          `warning: ${kind}: ${clipped} contribution values were clipped, so the sums differ from the experiment's`,
        );
      const model = await syncAll(organisations, kind);
      progress.log(
        `${kind}: every organisation holds version ${model.version} (sha256 ${model.sha256.slice(0, 12)}…)`,
      );
      return { kind, federationId, rounds, model };
    }),
  );

  const routers: RouterReport[] = [];
  for (const { kind, federationId, rounds, model } of trained) {
    const task = routerKind(kind).label;
    const experiment = await kindExperiment(kind);
    // A fresh preparation: the same split, and the random stream where the experiment has it.
    const prepared = await prepareExperiment(benchmark, { seed, embedder });
    progress.log(`${kind}: scoring the organisations' models and training the local references`);
    const result: ExperimentResult = await scoreOverEdge(
      benchmark,
      prepared,
      {
        seed,
        kind: experiment,
        embedder,
        progress: (step, done, total) => progress.report(task, step, done, total),
      },
      organisations,
      kind,
      trainingStarted,
    );
    // Each organisation tells the edge how the model does on its own data (the dashboard's AUC).
    await reportEvaluations(organisations, kind, model.version, result);
    routers.push({ result, edge: { federationId, version: model.version, sha256: model.sha256, rounds } });
  }
  progress.stop();
  return {
    dataset: benchmark.name,
    dashboardUrl: `${edge.url}/#token=${owner.token}`,
    routers,
  };
}
