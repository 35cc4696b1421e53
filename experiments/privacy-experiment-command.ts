// `fedrouter privacy experiment`: AUC against epsilon for a router trained under client-level DP
// over many clients, on the synthetic benchmark (or a data set), with a table and a plot.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { syntheticBenchmark } from "../core/data/synthetic.ts";
import { hyperparameterSettings, type OptionValues, UsageError } from "../operator/options.ts";
import type { PRIVACY_EXPERIMENT_OPTIONS } from "./command-options.ts";
import { loadBenchmark } from "./data/load.ts";
import { runEmbedder } from "./embeddings/choose.ts";
import {
  type PrivacyExperimentResult,
  privacyExperiment,
  privacySeedTable,
  privacyTable,
} from "./privacy-experiment.ts";
import { privacyPlotSvg } from "./privacy-plot.ts";

function positive(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!(Number.isFinite(parsed) && parsed > 0)) throw new UsageError(`--${flag} got "${value}"`);
  return parsed;
}

function dimensions(value: string): number {
  const parsed = Number(value);
  if (!(Number.isInteger(parsed) && parsed >= 0)) throw new UsageError(`--projection got "${value}"`);
  return parsed;
}

function draws(value: string): number {
  const parsed = Number(value);
  if (!(Number.isInteger(parsed) && parsed >= 1)) throw new UsageError(`--repeats got "${value}"`);
  return parsed;
}

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

/** `fedrouter privacy experiment`: runs it, writes --out and --plot, returns the table to print. */
export async function privacyExperimentCommand(
  values: OptionValues<typeof PRIVACY_EXPERIMENT_OPTIONS>,
): Promise<string> {
  const clients = positive(values.clients, "clients", 1000);
  const seed = positive(values.seed, "seed", 1);
  const delta = positive(values["dp-delta"], "dp-delta", 1e-5);
  if (!(delta < 1)) throw new UsageError("--dp-delta must be below 1");
  const epsilons = (values["dp-epsilon"] ?? "").split(",").map((e) => positive(e.trim(), "dp-epsilon", 0));
  const benchmark = values.data
    ? loadBenchmark(values.data).benchmark
    : syntheticBenchmark({ seed, queries: positive(values.queries, "queries", 100_000) });
  const embedder = await runEmbedder(values.embedder ?? "hashing", {});
  const result = await privacyExperiment(benchmark, {
    router: values.router ?? "kmeans",
    seed,
    clients,
    epsilons,
    delta,
    embedder,
    ...(values.cap !== undefined ? { cap: positive(values.cap, "cap", 1) } : {}),
    ...(values.projection !== undefined ? { projection: dimensions(values.projection) } : {}),
    ...(values.repeats !== undefined ? { repeats: draws(values.repeats) } : {}),
    hyperparameters: hyperparameterSettings(values.set ?? []),
    progress: (label, done, total) => console.error(`[${done}/${total}] ${label}`),
  });
  if (values.out) write(values.out, `${JSON.stringify(result, null, 2)}\n`);
  if (values.plot) write(values.plot, privacyPlotSvg([result]));
  return privacyTable(result);
}

/** `fedrouter privacy plot`: one SVG for several results (routers and seeds), and their table. */
export function privacyPlotCommand(paths: readonly string[], plot: string): string {
  const results = paths.map((path) => JSON.parse(readFileSync(path, "utf8")) as PrivacyExperimentResult);
  write(plot, privacyPlotSvg(results));
  return privacySeedTable(results);
}
