// `fedrouter privacy experiment`: AUC against epsilon for a router trained under client-level DP
// over many clients, on the synthetic benchmark (or a data set), with a table and a plot.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { syntheticBenchmark } from "../core/data/synthetic.ts";
import { loadBenchmark } from "./data/load.ts";
import { runEmbedder } from "./embeddings/choose.ts";
import { privacyExperiment, privacyTable } from "./privacy-experiment.ts";
import { privacyPlotSvg } from "./privacy-plot.ts";

export const PRIVACY_EXPERIMENT_USAGE = `usage: fedrouter privacy experiment [options]

trains the federated router without noise and under client-level DP (clipped contributions, the
distributed discrete Gaussian in every pass, noise calibrated to the budget by the RDP accountant)
at each epsilon, and prints the global test AUC beside the query-blind and task-label baselines.

  --router <kind>        kmeans | mlp (default kmeans)
  --clients <n>          clients the queries are spread over (default 1000)
  --queries <n>          synthetic benchmark size (default 100000; ignored with --data)
  --data <dir>           a data set instead of the synthetic benchmark
  --dp-epsilon <list>    comma-separated epsilons (default 1,2,4,8,16)
  --dp-delta <d>         delta (default 1e-5)
  --cap <c>              per-pass cap of a client's contribution (K-means: points; MLP: L2 norm)
  --set <name>=<value>   a router hyperparameter (repeatable), e.g. --set lloydPasses=5
  --seed <s>             seed (default 1)
  --embedder <name>      default hashing
  --out <file.json>      write the result as JSON
  --plot <file.svg>      write AUC against epsilon as SVG`;

class PrivacyUsageError extends Error {
  override name = "PrivacyUsageError";
  readonly code = "ERR_PARSE_ARGS_INVALID_OPTION_VALUE";
}

function positive(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!(Number.isFinite(parsed) && parsed > 0)) throw new PrivacyUsageError(`--${flag} got "${value}"`);
  return parsed;
}

function settings(pairs: readonly string[]): Record<string, number | string | boolean> {
  const parsed: Record<string, number | string | boolean> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) throw new PrivacyUsageError(`--set takes name=value, got "${pair}"`);
    const value = pair.slice(at + 1);
    const number = Number(value);
    parsed[pair.slice(0, at)] =
      value === "true"
        ? true
        : value === "false"
          ? false
          : value !== "" && Number.isFinite(number)
            ? number
            : value;
  }
  return parsed;
}

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

export async function privacyExperimentCommand(argv: readonly string[]): Promise<string> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      router: { type: "string", default: "kmeans" },
      clients: { type: "string" },
      queries: { type: "string" },
      data: { type: "string" },
      "dp-epsilon": { type: "string", default: "1,2,4,8,16" },
      "dp-delta": { type: "string" },
      cap: { type: "string" },
      set: { type: "string", multiple: true },
      seed: { type: "string" },
      embedder: { type: "string", default: "hashing" },
      out: { type: "string" },
      plot: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return PRIVACY_EXPERIMENT_USAGE;
  const clients = positive(values.clients, "clients", 1000);
  const seed = positive(values.seed, "seed", 1);
  const delta = positive(values["dp-delta"], "dp-delta", 1e-5);
  if (!(delta < 1)) throw new PrivacyUsageError("--dp-delta must be below 1");
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
    hyperparameters: settings(values.set ?? []),
    progress: (label, done, total) => console.error(`[${done}/${total}] ${label}`),
  });
  if (values.out) write(values.out, `${JSON.stringify(result, null, 2)}\n`);
  if (values.plot) write(values.plot, privacyPlotSvg([result]));
  return privacyTable(result);
}
