// What `fedrouter experiment`, `table` and `embed` do, loaded only when one of them runs (the
// harness takes seconds to import, which the operator's commands should not pay).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { SingleBar } from "cli-progress";
import { syntheticBenchmark } from "../core/data/synthetic.ts";
import { hyperparameterSettings, type OptionValues, UsageError } from "../operator/options.ts";
import type { EMBED_OPTIONS, EXPERIMENT_OPTIONS } from "./command-options.ts";
import { describeReport, loadBenchmark } from "./data/load.ts";
import { embeddingCacheRoot } from "./embeddings/cache.ts";
import { runEmbedder } from "./embeddings/choose.ts";
import { fillCache } from "./embeddings/fill.ts";
import { type ExperimentResult, runExperiment } from "./harness.ts";
import { kindExperiment } from "./kind-experiment.ts";
import { onlineOptions, runOnlineCommand } from "./online-command.ts";
import { plotSvg } from "./plot.ts";
import { loadExperimentResult } from "./results.ts";
import { newClientsScenario, newModelsScenario } from "./scenarios.ts";
import {
  baselineLine,
  clientTable,
  globalTable,
  personalisationLine,
  scenarioTable,
  summaryLine,
} from "./table.ts";
import { TAG_SOURCES, type TagSource } from "./tags.ts";

const SCENARIOS = ["standard", "high-het", "new-models", "new-clients", "online"] as const;

function number(
  value: string | undefined,
  flag: string,
  fallback: number,
  check: (v: number) => boolean,
): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed) || !check(parsed)) {
    throw new UsageError(`--${flag} got "${value}", which is not valid here`);
  }
  return parsed;
}

function progressReporter(quiet: boolean) {
  const showBar = !quiet && process.stderr.isTTY;
  const bar = new SingleBar({
    format: "{bar} {percentage}% | {label}",
    hideCursor: true,
    stream: process.stderr,
  });
  let started = false;
  return {
    report(label: string, done: number, total: number) {
      if (showBar) {
        if (!started) bar.start(total, 0, { label });
        started = true;
        bar.setTotal(total);
        bar.update(done, { label });
      } else if (!quiet) {
        console.error(`[${done}/${total}] ${label}`);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  console.error(`wrote ${path}`);
}

export async function experiment(values: OptionValues<typeof EXPERIMENT_OPTIONS>): Promise<void> {
  const scenario = values.scenario as (typeof SCENARIOS)[number];
  if (!SCENARIOS.includes(scenario))
    throw new UsageError(`--scenario must be one of ${SCENARIOS.join(", ")}`);
  const highHet = scenario === "high-het";
  const seed = number(values.seed, "seed", 1, Number.isInteger);
  const clients = number(values.clients, "clients", 10, (v) => Number.isInteger(v) && v >= 1 && v <= 1000);
  const alpha = number(values.alpha, "alpha", highHet ? 0.03 : 0.6, (v) => v > 0);
  const preferenceAlpha = number(
    values["preference-alpha"],
    "preference-alpha",
    highHet ? 1.0 : 0.45,
    (v) => v > 0,
  );
  const rounds =
    values.rounds === undefined
      ? undefined
      : number(values.rounds, "rounds", 5, (v) => Number.isInteger(v) && v >= 1);
  const bootstrap = number(
    values.bootstrap,
    "bootstrap",
    highHet ? 200 : 0,
    (v) => v === 0 || (Number.isInteger(v) && v >= 2 && v <= 100_000),
  );
  const clusters =
    values.clusters === undefined
      ? undefined
      : number(values.clusters, "clusters", 16, (v) => Number.isInteger(v) && v >= 1);
  const tags = values.tags as TagSource | undefined;
  if (tags !== undefined && !TAG_SOURCES.includes(tags))
    throw new UsageError(`--tags must be one of ${TAG_SOURCES.join(", ")}`);
  if (tags !== undefined && (scenario === "new-models" || scenario === "new-clients"))
    throw new UsageError("--tags applies to the standard and high-het scenarios");
  let kind: Awaited<ReturnType<typeof kindExperiment>>;
  try {
    kind = await kindExperiment(values.router ?? "kmeans", {
      ...hyperparameterSettings(values.set ?? []),
      ...(clusters === undefined ? {} : { clusters }),
      ...(rounds === undefined ? {} : { rounds }),
      ...(values.weighting === undefined ? {} : { weighting: values.weighting }),
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  let benchmark = syntheticBenchmark({ seed });
  if (values.data) {
    const loaded = loadBenchmark(values.data);
    benchmark = loaded.benchmark;
    for (const line of describeReport(loaded.report)) console.error(`data: ${line}`);
  } else {
    console.error(
      `data: synthetic benchmark (${benchmark.ids.length} queries, ${benchmark.models.length} models)`,
    );
  }
  const progress = progressReporter(values.quiet ?? false);
  let embedder: Awaited<ReturnType<typeof runEmbedder>>;
  try {
    embedder = await runEmbedder(values.embedder ?? "use-lite", { progress: progress.report });
  } catch (error) {
    if (error instanceof RangeError || (error as Error).name === "EmbedderMismatchError")
      throw new UsageError(`--embedder: ${(error as Error).message}`);
    throw error;
  }
  const common = { seed, kind, embedder, progress: progress.report };
  if (scenario === "online") {
    let options: ReturnType<typeof onlineOptions>;
    try {
      options = onlineOptions({ ...common, clients, alpha, preferenceAlpha }, values);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    const online = await runOnlineCommand(benchmark, options);
    progress.stop();
    console.log(online.text);
    if (values.out) write(values.out, `${JSON.stringify(online.result, null, 2)}\n`);
    if (values.plot) write(values.plot, online.plot);
    return;
  }
  if (scenario === "new-models" || scenario === "new-clients") {
    const protocol = { alpha, preferenceAlpha };
    const result =
      scenario === "new-models"
        ? await newModelsScenario(benchmark, { ...common, protocol: { ...protocol, clients } })
        : await newClientsScenario(benchmark, { ...common, protocol });
    progress.stop();
    console.log(scenarioTable(result));
    if (values.out) write(values.out, `${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  const result = await runExperiment(benchmark, {
    ...common,
    clients,
    alpha,
    preferenceAlpha,
    personalise: highHet || (values.personalise ?? false),
    bootstrap,
    ...(rounds !== undefined ? { rounds } : {}),
    ...(tags !== undefined ? { tags } : {}),
  });
  progress.stop();
  const output = { scenario, ...result };
  printTables(result, highHet || (values.personalise ?? false));
  if (values.out) write(values.out, `${JSON.stringify(output, null, 2)}\n`);
  if (values.plot) write(values.plot, plotSvg(result));
}

/** The terminal tables of a standard or high-het run; `personalised` adds the personalisation lines. */
function printTables(result: ExperimentResult, personalised: boolean): void {
  console.log(clientTable(result));
  console.log();
  console.log(globalTable(result));
  console.log();
  console.log(summaryLine(result));
  const baselines = baselineLine(result);
  if (baselines) console.log(baselines);
  if (personalised) console.log(personalisationLine(result));
}

export async function embed(values: OptionValues<typeof EMBED_OPTIONS>): Promise<void> {
  if (!values.data || !values.embedder?.length)
    throw new UsageError("embed takes --data and at least one --embedder");
  const { benchmark } = loadBenchmark(values.data);
  const embedders = [];
  for (const name of values.embedder) embedders.push(await runEmbedder(name));
  const progress = progressReporter(values.quiet ?? false);
  const started = performance.now();
  const embedded = await fillCache(embedders, benchmark.prompts, {
    progress: (done, total) => progress.report(`embedding for ${embedders.length} embedder(s)`, done, total),
  });
  progress.stop();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `embedded ${embedded} of ${new Set(benchmark.prompts).size} texts in ${seconds} s; cache ${embeddingCacheRoot()}`,
  );
  for (const embedder of embedders) console.log(`  ${embedder.id}`);
}

export function table(path: string): void {
  const result = loadExperimentResult(path);
  // A run scored personalised routers exactly when it printed their lines (--personalise, high-het).
  printTables(
    result,
    result.clients.some((c) => c.ownTest.personalised !== undefined),
  );
}
