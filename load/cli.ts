// npm run load -- --clients N --router kmeans|mlp --dropout p --out load.json
// The load generator (docs/load.md): N SDK clients on loopback against a local edge it starts,
// through one full training, with seeded dropouts. Stops by itself (at the latest after
// --timeout seconds) and always stops the edge it started.
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { Command, Option } from "commander";
import { LONG_POLL_MAX_MS } from "../core/wire/long-poll.ts";
import { hyperparameterSettings } from "../operator/options.ts";
import { defaultDeadlines, numberIn } from "./arguments.ts";
import { runLoad } from "./run.ts";

const program = new Command("load")
  .description("run N SDK clients against a local edge through one full training and report the figures")
  .requiredOption("--clients <n>", "clients (and the cohort of every round)", numberIn(5, 1000))
  .addOption(new Option("--router <kind>", "router kind").choices(["kmeans", "mlp"]).default("kmeans"))
  .option(
    "--dropout <p>",
    "probability that a client drops out of a round, at a random stage",
    numberIn(0, 0.5, false),
    0.1,
  )
  .option("--out <file>", "where to write the JSON report", "load.json")
  .option("--set <name=value...>", "a router hyperparameter (repeatable), e.g. --set lloydPasses=2", [])
  .option("--seed <n>", "seed of the data, the dropouts and the training randomness", numberIn(0, 2 ** 31), 1)
  .option("--dimension <d>", "dimension of the hashing embedder", numberIn(8, 4096), 1024)
  .option("--queries <q>", "queries each client holds", numberIn(1, 1000), 10)
  .option("--threads <n>", "client threads", numberIn(1, 16), 2)
  .option("--concurrency <n>", "requests in flight per thread, at most", numberIn(1, 10_000), 64)
  .option("--poll-ms <ms>", "how often a client polls for its round's messages", numberIn(50, 60_000), 1000)
  .option(
    "--long-poll-ms <ms>",
    "how long the edge may hold a client's poll (the SDK's longPollMs; 0: plain polls every --poll-ms)",
    numberIn(0, LONG_POLL_MAX_MS),
    LONG_POLL_MAX_MS,
  )
  .option(
    "--stage-quorum <share>",
    "share of a stage's expected answers after which it stops waiting for stragglers (roundPolicy.stageQuorum; default: the edge's, 0.9)",
    numberIn(0.5, 1, false),
  )
  .option(
    "--deadline <s>",
    "each stage's deadline in seconds (a silent client holds a stage this long); default K-means 15 up to 150 clients, 30 up to 500, 60 above; MLP 60",
    numberIn(1, 3600),
  )
  .option(
    "--advertise-deadline <s>",
    "the first stage's deadline (clients train before it); default twice --deadline (the MLP's default 180)",
    numberIn(1, 3600),
  )
  .option(
    "--clip <c>",
    "contributions are clipped to [-c, c] before fixed-point encoding",
    numberIn(1, 1e6, false),
    1000,
  )
  .option(
    "--profile <file>",
    "write a CPU profile of the edge's JavaScript (.cpuprofile) and summarise it in the report",
  )
  .option(
    "--via-dev-proxy",
    "send requests through wrangler dev's proxy (its public port) instead of straight to the edge's workerd",
  )
  .option("--shard-size <n>", "most clients per shard (default: the edge's, 256)", numberIn(3, 1000))
  .option("--timeout <s>", "stop everything after this many seconds", numberIn(10, 24 * 3600), 3600)
  .action(async (flags) => {
    const out = resolve(flags.out);
    const defaults = defaultDeadlines(flags.clients, flags.router);
    const deadline: number = flags.deadline ?? defaults.stage;
    const report = await runLoad({
      clients: flags.clients,
      router: flags.router,
      dropout: flags.dropout,
      seed: flags.seed,
      hyperparameters: hyperparameterSettings(flags.set),
      dimension: flags.dimension,
      queriesPerClient: flags.queries,
      threads: flags.threads,
      concurrency: flags.concurrency,
      pollMs: flags.pollMs,
      longPollMs: flags.longPollMs,
      ...(flags.stageQuorum === undefined ? {} : { stageQuorum: flags.stageQuorum }),
      stageDeadlineSeconds: deadline,
      advertiseDeadlineSeconds:
        flags.advertiseDeadline ?? (flags.deadline === undefined ? defaults.advertise : 2 * deadline),
      clip: flags.clip,
      ...(flags.shardSize === undefined ? {} : { shardSize: flags.shardSize }),
      timeoutSeconds: flags.timeout,
      root: resolve(import.meta.dirname, ".."),
      ...(flags.profile ? { profile: resolve(flags.profile) } : {}),
      ...(flags.viaDevProxy ? { viaDevProxy: true } : {}),
      log: (line) => console.error(line),
    });
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    // The headline figures on stdout; the whole report is in the file.
    const headline = [
      "completed",
      "rounds",
      "roundSecondsP50",
      "roundSecondsP99",
      "edgeCpuSecondsP99",
      "devProxyCpuSecondsP99",
      "generatorCpuSecondsP99",
      "status5xx",
      "modelMatchesSimulation",
    ] as const;
    console.log(JSON.stringify({ out, ...Object.fromEntries(headline.map((key) => [key, report[key]])) }));
    const { completed, modelMatchesSimulation, status5xx } = report;
    if (!completed || !modelMatchesSimulation || status5xx > 0) process.exitCode = 1;
  });

try {
  await program.parseAsync();
} catch (error) {
  console.error(`load: ${(error as Error).message}`);
  process.exitCode = 1;
}
