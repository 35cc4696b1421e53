#!/usr/bin/env node
// The fedrouter command line: `fedrouter experiment ...` runs the paper's protocol and reports;
// `fedrouter table <results.json>` prints the tables of a run written before.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { SingleBar } from "cli-progress";
import { syntheticBenchmark } from "../core/data/synthetic.ts";
import { DataError } from "./data/errors.ts";
import { describeReport, loadBenchmark } from "./data/load.ts";
import { embeddingCacheRoot } from "./embeddings/cache.ts";
import { EMBEDDER_NAMES, runEmbedder } from "./embeddings/choose.ts";
import { fillCache } from "./embeddings/fill.ts";
import { type ExperimentResult, runExperiment } from "./harness.ts";
import { kindExperiment } from "./kind-experiment.ts";
import { plotSvg } from "./plot.ts";
import { privacyCommand } from "./privacy-command.ts";
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

const USAGE = `usage: fedrouter experiment [options]
       fedrouter table <results.json>
       fedrouter embed --data <dir> --embedder <name> [--embedder <name> ...]
       fedrouter privacy --sampling-rate <q> --noise-multiplier <z> --steps <n> --delta <d> [--json]

fedrouter table prints again the tables fedrouter experiment printed for the results JSON it
wrote (--out), also from files with the keys' old spelling (centralized, personalized).

fedrouter embed fills the embedding cache for a data set's queries under each embedder named,
in one pass on a worker per core (embedders differing only in how they combine windows share
the windows' vectors).

options of fedrouter experiment:

  --data <dir>              RouterBench CSV folder or LLMRouter folder (default: synthetic benchmark)
  --router <kind>           kmeans | mlp (default kmeans)
  --scenario <name>         standard | high-het | new-models | new-clients (default standard)
  --clients <n>             number of clients (default 10)
  --alpha <a>               Dirichlet concentration over task labels (default 0.6; high-het 0.03)
  --preference-alpha <a>    Dirichlet concentration of model preferences (default 0.45; high-het 1.0)
  --seed <s>                random seed (default 1)
  --embedder <name>         ${EMBEDDER_NAMES}
                            (default use-lite, i.e. use-lite/w128-mean); vectors other than hashing's are cached under
                            $XDG_CACHE_HOME/fedrouter/embeddings (or ~/.cache/...)
  --rounds <r>              federated rounds for the MLP router (default 5)
  --clusters <k>            clusters of the K-means router (default 16)
  --weighting <w>           MLP head averaging: fedavg | per-head (default fedavg)
  --set <name>=<value>      a router hyperparameter (repeatable), e.g. --set shrinkage=fixed
                            --set prior=4 (K-means) or --set validationShare=0 (MLP);
                            docs/tuning.md lists them and the paper's protocol
  --tags <source>           context tags of each query: task (its task label; the vocabulary is
                            the task labels of the clients' training data); default none
  --personalise             also score personalised routers (always on for high-het)
  --bootstrap <b>           paired bootstrap resamples of each client's test set for standard
                            errors of its AUC differences (default 0; high-het 200)
  --out <file.json>         write the results as JSON
  --plot <file.svg>         write the accuracy-cost plot as SVG (standard and high-het)
  --quiet                   no progress bar
  -h, --help                this help`;

const SCENARIOS = ["standard", "high-het", "new-models", "new-clients"] as const;

class UsageError extends Error {
  override name = "UsageError";
}

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

/** `--set name=value` pairs: numbers where the value reads as one, true/false, else the word. */
function hyperparameterSettings(pairs: readonly string[]): Record<string, number | string | boolean> {
  const settings: Record<string, number | string | boolean> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new UsageError(`--set takes name=value, got "${pair}"`);
    const value = pair.slice(at + 1).trim();
    const parsed = Number(value);
    settings[pair.slice(0, at).trim()] =
      value === "true"
        ? true
        : value === "false"
          ? false
          : value !== "" && Number.isFinite(parsed)
            ? parsed
            : value;
  }
  return settings;
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

async function experiment(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      data: { type: "string" },
      router: { type: "string", default: "kmeans" },
      scenario: { type: "string", default: "standard" },
      clients: { type: "string" },
      alpha: { type: "string" },
      "preference-alpha": { type: "string" },
      seed: { type: "string" },
      embedder: { type: "string", default: "use-lite" },
      rounds: { type: "string" },
      clusters: { type: "string" },
      weighting: { type: "string" },
      set: { type: "string", multiple: true },
      tags: { type: "string" },
      personalise: { type: "boolean", default: false },
      bootstrap: { type: "string" },
      out: { type: "string" },
      plot: { type: "string" },
      quiet: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
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

async function embed(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      data: { type: "string" },
      embedder: { type: "string", multiple: true },
      quiet: { type: "boolean", default: false },
    },
  });
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

function table(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: { help: { type: "boolean", short: "h", default: false } },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const [path, ...extra] = positionals;
  if (path === undefined || extra.length > 0) throw new UsageError("table takes one results JSON file");
  const result = loadExperimentResult(path);
  // A run scored personalised routers exactly when it printed their lines (--personalise, high-het).
  printTables(
    result,
    result.clients.some((c) => c.ownTest.personalised !== undefined),
  );
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === "experiment") await experiment(rest);
    else if (command === "table") table(rest);
    else if (command === "embed") await embed(rest);
    else if (command === "privacy") console.log(await privacyCommand(rest));
    else if (command === undefined || command === "-h" || command === "--help") console.log(USAGE);
    else throw new UsageError(`unknown command "${command}"`);
    return 0;
  } catch (error) {
    const usage =
      error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    console.error(`fedrouter: ${(error as Error).message}`);
    if (usage) console.error("run `fedrouter --help` for the commands and their options");
    else if (!(error instanceof DataError)) console.error((error as Error).stack);
    return usage || error instanceof DataError ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
