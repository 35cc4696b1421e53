// The main job's command line: flags, defaults and the checks that run before anything starts.
import { existsSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { routerKindNames } from "../core/routers/registry.ts";

export const USAGE = `usage: npm start -- [options]

Starts the edge on 127.0.0.1, creates a demo tenant with a K-means and an MLP federation, lets 10
organisations (SDK clients, each holding its share of the benchmark) train both routers over
secure rounds, and reports every organisation's AUC for its local and the federated router.

  --data <dir>         RouterBench CSV or LLMRouter folder (default ../shared/data/routerbench-subset
                       when present, else the synthetic benchmark)
  --synthetic          use the synthetic benchmark even when the default data folder exists
  --seed <s>           seed of the split, the schedule and training, as fedrouter experiment (default 1)
  --router <kind>      kmeans, mlp or both (default both)
  --embedder <name>    hashing, use-lite[/w128-<mean|last|last-weighted>] or a full embedder id
                       (default use-lite); use-lite vectors are cached as fedrouter experiment's
  --out <file.json>    also write the results per router: results.json gives results.kmeans.json
                       and results.mlp.json (fedrouter experiment's JSON shape)
  --report <file>      the HTML report (default out/report.html)
  --state <dir>        where the local edge keeps its state (default out/state)
  --port <n>           the edge's port on 127.0.0.1 (default 8787, or a free one when taken)
  --serve              keep the edge (and its dashboard) running until Ctrl-C
  --timeout <min>      give up after this many minutes (default 20)
  --quiet              no progress output
  -h, --help           this help`;

export class UsageError extends Error {
  override name = "UsageError";
}

export interface MainOptions {
  /** A data folder, or undefined for the synthetic benchmark. */
  data: string | undefined;
  seed: number;
  /** Router kinds, by name. */
  routers: string[];
  /** The embedder's name, as `fedrouter experiment --embedder` takes it. */
  embedder: string;
  /** Results JSON per router, or undefined. */
  out: Record<string, string> | undefined;
  report: string;
  state: string;
  port: number | undefined;
  serve: boolean;
  timeoutMs: number;
  quiet: boolean;
  help: boolean;
}

/** results.json -> results.kmeans.json (a name without extension gets .kmeans.json). */
export function resultPath(out: string, kind: string): string {
  const ext = extname(out);
  const stem = basename(out, ext);
  return join(dirname(out), `${stem}.${kind}${ext || ".json"}`);
}

function integer(
  value: string | undefined,
  flag: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isInteger(parsed) || parsed < min || parsed > max)
    throw new UsageError(`--${flag} must be an integer in [${min}, ${max}], got "${value}"`);
  return parsed;
}

/**
 * Reads the flags. `root` is the repository (defaults are relative to it); `cwd` resolves the
 * paths a user passes.
 */
export function parseMainArguments(argv: readonly string[], root: string, cwd = process.cwd()): MainOptions {
  let values: ReturnType<typeof parse>["values"];
  try {
    values = parse(argv).values;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const help = values.help ?? false;
  if (values.data !== undefined && values.synthetic)
    throw new UsageError("--data and --synthetic exclude each other");
  const defaultData = resolve(root, "../shared/data/routerbench-subset");
  let data: string | undefined;
  if (values.data !== undefined) {
    data = resolve(cwd, values.data);
    if (!existsSync(data)) throw new UsageError(`--data ${values.data}: no such folder`);
  } else if (!values.synthetic && existsSync(defaultData)) data = defaultData;
  const router = values.router ?? "both";
  // "both": every registered kind (K-means and the MLP).
  const kinds = routerKindNames();
  if (router !== "both" && !kinds.includes(router))
    throw new UsageError(`--router must be ${kinds.join(", ")} or both, got "${router}"`);
  const routers = router === "both" ? kinds : [router];
  const out = values.out === undefined ? undefined : resolve(cwd, values.out);
  return {
    data,
    seed: integer(values.seed, "seed", 1, 0, 2 ** 31 - 1),
    routers,
    embedder: values.embedder ?? "use-lite",
    out:
      out === undefined ? undefined : Object.fromEntries(kinds.map((kind) => [kind, resultPath(out, kind)])),
    report: values.report === undefined ? join(root, "out/report.html") : resolve(cwd, values.report),
    state: values.state === undefined ? join(root, "out/state") : resolve(cwd, values.state),
    port: values.port === undefined ? undefined : integer(values.port, "port", 8787, 1, 65535),
    serve: values.serve ?? false,
    timeoutMs: integer(values.timeout, "timeout", 20, 1, 24 * 60) * 60_000,
    quiet: values.quiet ?? false,
    help,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      data: { type: "string" },
      synthetic: { type: "boolean" },
      seed: { type: "string" },
      router: { type: "string" },
      embedder: { type: "string" },
      out: { type: "string" },
      report: { type: "string" },
      state: { type: "string" },
      port: { type: "string" },
      serve: { type: "boolean" },
      timeout: { type: "string" },
      quiet: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}
