#!/usr/bin/env node
// The fedrouter command line: `fedrouter experiment ...` runs the paper's protocol and reports.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { SingleBar } from "cli-progress";
import { syntheticBenchmark } from "../core/data/synthetic.ts";
import { hashingEmbedder } from "../core/embedder/hashing.ts";
import { DataError } from "./data/errors.ts";
import { describeReport, loadBenchmark } from "./data/load.ts";
import { familyFor } from "./families.ts";
import { runExperiment } from "./harness.ts";
import { plotSvg } from "./plot.ts";
import { clientTable, globalTable, summaryLine } from "./table.ts";

const USAGE = `usage: fedrouter experiment [options]

  --data <dir>       RouterBench CSV folder or LLMRouter folder (default: synthetic benchmark)
  --router <kind>    kmeans | mlp (default kmeans)
  --clients <n>      number of clients (default 10)
  --alpha <a>        Dirichlet concentration over task labels (default 0.6)
  --seed <s>         random seed (default 1)
  --rounds <r>       federated rounds for the MLP router (default 5)
  --clusters <k>     clusters of the K-means router (default 8)
  --out <file.json>  write the results as JSON
  --plot <file.svg>  write the accuracy-cost plot as SVG
  --quiet            no progress bar
  -h, --help         this help`;

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

async function experiment(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      data: { type: "string" },
      router: { type: "string", default: "kmeans" },
      clients: { type: "string" },
      alpha: { type: "string" },
      seed: { type: "string" },
      rounds: { type: "string" },
      clusters: { type: "string" },
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
  const seed = number(values.seed, "seed", 1, Number.isInteger);
  const clients = number(values.clients, "clients", 10, (v) => Number.isInteger(v) && v >= 1 && v <= 1000);
  const alpha = number(values.alpha, "alpha", 0.6, (v) => v > 0);
  const rounds =
    values.rounds === undefined
      ? undefined
      : number(values.rounds, "rounds", 5, (v) => Number.isInteger(v) && v >= 1);
  const clusters =
    values.clusters === undefined
      ? undefined
      : number(values.clusters, "clusters", 16, (v) => Number.isInteger(v) && v >= 1);
  let family: Awaited<ReturnType<typeof familyFor>>;
  try {
    family = await familyFor(values.router ?? "kmeans", clusters === undefined ? {} : { clusters });
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
  const showBar = !values.quiet && process.stderr.isTTY;
  const bar = new SingleBar({
    format: "{bar} {percentage}% | {label}",
    hideCursor: true,
    stream: process.stderr,
  });
  let started = false;
  const result = await runExperiment(benchmark, {
    seed,
    clients,
    alpha,
    family,
    embedder: hashingEmbedder(),
    ...(rounds !== undefined ? { rounds } : {}),
    progress: (label, done, total) => {
      if (showBar) {
        if (!started) bar.start(total, 0, { label });
        started = true;
        bar.setTotal(total);
        bar.update(done, { label });
      } else if (!values.quiet) {
        console.error(`[${done}/${total}] ${label}`);
      }
    },
  });
  if (started) bar.stop();
  console.log(clientTable(result));
  console.log();
  console.log(globalTable(result));
  console.log();
  console.log(summaryLine(result));
  if (values.out) {
    mkdirSync(dirname(values.out), { recursive: true });
    const { curves: _curves, ...rest } = result;
    writeFileSync(values.out, `${JSON.stringify({ ...rest, curves: result.curves }, null, 2)}\n`);
    console.error(`wrote ${values.out}`);
  }
  if (values.plot) {
    mkdirSync(dirname(values.plot), { recursive: true });
    writeFileSync(values.plot, plotSvg(result));
    console.error(`wrote ${values.plot}`);
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === "experiment") await experiment(rest);
    else if (command === undefined || command === "-h" || command === "--help") console.log(USAGE);
    else throw new UsageError(`unknown command "${command}"`);
    return 0;
  } catch (error) {
    const known =
      error instanceof UsageError ||
      error instanceof DataError ||
      (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    console.error(`fedrouter: ${(error as Error).message}`);
    if (!known) console.error((error as Error).stack);
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      console.error("run `fedrouter experiment --help` for the options");
    }
    return error instanceof UsageError || known ? 2 : 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
