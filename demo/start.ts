// `npm start`: the main job. Starts the edge locally, creates a demo tenant with a K-means and an
// MLP federation, lets ten organisations (SDK clients) train both over secure rounds, prints each
// organisation's AUC for its local and the federated router, writes the HTML report (and the
// results JSON with --out), prints the dashboard URL, and stops the edge (--serve keeps it up).
// Every wait is bounded; failures end with a message and a non-zero exit code.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DataError } from "../experiments/data/errors.ts";
import { EdgeStartError, type LocalEdge } from "../operator/local-edge.ts";
import { type MainOptions, parseMainArguments, USAGE, UsageError } from "./arguments.ts";
import { runJob } from "./job.ts";
import { createProgress, type Progress } from "./progress.ts";
import { reportHtml, uplotAssets } from "./report.ts";
import { summaryText } from "./summary.ts";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function write(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  console.error(`wrote ${path}`);
}

let edge: Promise<LocalEdge> | undefined;

let finishing: Promise<never> | undefined;

/**
 * Stops the edge (bounded) and exits: the one way out, so no workerd is ever left behind. The
 * first call decides the exit code; later ones (the job failing because a signal stopped its
 * edge) wait for it.
 */
function finish(code: number): Promise<never> {
  finishing ??= (async () => {
    try {
      // An edge still starting is waited for (bounded by its start timeout), then stopped.
      const running = await edge?.catch(() => undefined);
      await running?.stop();
    } catch (error) {
      console.error(`fedrouter: stopping the edge: ${(error as Error).message}`);
      code ||= 1;
    }
    process.exit(code);
  })();
  return finishing;
}

/** Set once the job is done and the edge serves on (--serve): a signal is then the normal end. */
let serving = false;
let stopping = false;

/**
 * Ctrl-C reaches this process twice: the terminal signals the whole process group, and npm passes
 * its own SIGINT on to the script. Only the first one stops the edge; the later ones are ignored
 * rather than left to Node's default, which would kill this process in the middle of wrangler's
 * shutdown: esbuild's service would then lose its pipe with a request pending and die with a Go
 * stack dump ("all goroutines are asleep - deadlock!"), and workerd could be left behind.
 */
function onSignal(signal: NodeJS.Signals) {
  if (stopping) return;
  stopping = true;
  console.error(`\nfedrouter: ${signal}: stopping the edge`);
  void finish(serving ? 0 : 130);
}

async function main(options: MainOptions): Promise<number> {
  const bars = createProgress(options.quiet);
  // Once a signal stops the edge, the job's last words (rounds failing) are not news.
  const progress: Progress = {
    log: (message) => stopping || bars.log(message),
    report: (...args) => stopping || bars.report(...args),
    stop: () => bars.stop(),
  };
  const started = performance.now();
  const result = await runJob(options, root, progress, (starting) => {
    edge = starting;
  });
  console.log(summaryText(result.routers));
  const generatedAt = new Date().toISOString();
  if (options.out) {
    for (const { result: experiment, edge: run } of result.routers) {
      const path = options.out[experiment.router];
      if (path)
        write(path, `${JSON.stringify({ scenario: "standard", ...experiment, edge: run }, null, 2)}\n`);
    }
  }
  write(
    options.report,
    reportHtml(
      {
        dataset: result.dataset,
        seed: options.seed,
        generatedAt,
        dashboardUrl: result.dashboardUrl,
        serving: options.serve,
        routers: result.routers,
      },
      uplotAssets(),
    ),
  );
  console.log(`dashboard: ${result.dashboardUrl}`);
  console.error(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  if (options.serve) {
    clearTimeout(watchdog);
    serving = true;
    console.error("serving the edge and its dashboard; Ctrl-C stops it");
    // Held open until a signal ends the process through finish().
    setInterval(() => {}, 60_000);
    await new Promise(() => {});
  }
  return 0;
}

process.on("SIGINT", onSignal);
process.on("SIGTERM", onSignal);
let options: MainOptions;
try {
  options = parseMainArguments(process.argv.slice(2), root);
} catch (error) {
  console.error(`fedrouter: ${(error as Error).message}`);
  console.error("run `npm start -- --help` for the options");
  process.exit(2);
}
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
// The whole job is bounded: past the limit it stops the edge and fails.
const watchdog = setTimeout(() => {
  console.error(`fedrouter: the main job took longer than ${options.timeoutMs / 60_000} minutes; stopping`);
  void finish(1);
}, options.timeoutMs).unref();
try {
  await finish(await main(options));
} catch (error) {
  // Stopped by a signal: the job failed only because its edge went away; say nothing more.
  if (stopping) await finish(130);
  // Bad input exits with 2, anything else with 1; a stack only for what nobody foresaw.
  const input = error instanceof UsageError || error instanceof DataError;
  const foreseen = input || error instanceof EdgeStartError || (error as Error).name !== "Error";
  console.error(`fedrouter: ${(error as Error).message}`);
  if (!foreseen) console.error((error as Error).stack);
  await finish(input ? 2 : 1);
}
