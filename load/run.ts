// The load generator's run: starts a local edge on loopback, creates a continuous-schedule
// federation, enrols N clients in batches, runs them in a few worker threads (load/worker.ts)
// until the edge has trained the router to its final version, then stops everything and
// reports: per-round survivors and seconds, request latencies per route, the edge's and its own
// CPU per round, peak memory, storage, 5xx responses and whether the published model is the
// simulation of the survivors' data (load/model-check.ts). Bounded by a global timeout; the edge
// it started is always stopped.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { hashingEmbedder } from "../core/embedder/hashing.ts";
import { decodeModelFile, type ModelFile } from "../core/model-file.ts";
import type { ClientEnrolment } from "../core/wire/clients.ts";
import type { RoundSummary } from "../core/wire/rounds.ts";
import { freePort, type LocalEdge, startEdge } from "../operator/local-edge.ts";
import {
  createFederation,
  createTenant,
  describeFederation,
  EdgeRequestError,
  getRound,
  modelBytes,
  type Owner,
} from "../operator/owner-api.ts";
import { ortCompute } from "../ort/index.ts";
import type { FromPool, PoolSetup, RequestStats, ToPool } from "./messages.ts";
import { PROTOCOL_STEPS } from "./messages.ts";
import { checkAgainstSimulation, type PassCheck, type PublishedPass } from "./model-check.ts";
import { federationConfig, population } from "./population.ts";
import { EdgeProcesses, folderBytes } from "./proc.ts";
import { type ProfileSummary, startProfiler, summariseProfile } from "./profiler.ts";
import type { LoadReport, RoundFigures } from "./report.ts";
import { growth, percentile, type RequestSpan, requestSpan, round2, type Sample } from "./stats.ts";

export interface LoadOptions {
  clients: number;
  router: string;
  dropout: number;
  seed: number;
  hyperparameters: Record<string, number | string | boolean>;
  /** Of the hashing embedder. */
  dimension: number;
  queriesPerClient: number;
  threads: number;
  /** Requests in flight per thread, at most. */
  concurrency: number;
  pollMs: number;
  /** The SDK's longPollMs: how long the edge may hold a poll (0: plain polls every pollMs). */
  longPollMs: number;
  /** roundPolicy.stageQuorum (absent: the edge's default). */
  stageQuorum?: number;
  stageDeadlineSeconds: number;
  advertiseDeadlineSeconds: number;
  clip: number;
  /** Most clients per shard: a larger cohort runs as shards (the edge's default when absent). */
  shardSize?: number;
  /** The whole run, edge start to report, at most. */
  timeoutSeconds: number;
  /** The checkout whose worker runs as the edge. */
  root: string;
  /** Write a CPU profile of the edge's JavaScript over the training here (and summarise it). */
  profile?: string;
  /**
   * Send the clients' and the owner's requests through wrangler dev's proxy (its public port), as
   * before; by default they go to the edge's own workerd, as a deployed edge is reached.
   */
  viaDevProxy?: boolean;
  log: (line: string) => void;
}

const MAX_ENROL_BATCH = 1000;
const SAMPLE_MS = 500;
/** A federation whose rounds keep aborting (stage deadlines too short for the load) is given up on. */
const MAX_ABORTED_IN_A_ROW = 4;

/**
 * An owner call of the generator's own (watching the schedule, reading rounds and versions): a
 * busy edge may answer one late, so it is tried again, up to `attempts` times 5 s apart.
 */
async function patiently<T>(call: () => Promise<T>, log: (line: string) => void, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const refused = error instanceof EdgeRequestError && error.status !== undefined && error.status < 500;
      if (refused || attempt >= attempts) throw error;
      log(`  (the edge did not answer: ${(error as Error).message}; trying again)`);
      await new Promise((resolve) => setTimeout(resolve, 5000));
    }
  }
}

async function enrolAll(owner: Owner, federationId: string, count: number): Promise<ClientEnrolment[]> {
  const all: ClientEnrolment[] = [];
  for (let start = 0; start < count; start += MAX_ENROL_BATCH) {
    const size = Math.min(MAX_ENROL_BATCH, count - start);
    const response = await fetch(`${owner.edgeUrl}/v1/federations/${federationId}/clients/batch`, {
      method: "POST",
      headers: { authorization: `Bearer ${owner.token}`, "content-type": "application/json" },
      body: JSON.stringify({
        clients: Array.from({ length: size }, (_, i) => ({ label: `load ${start + i}` })),
      }),
    });
    if (!response.ok) throw new Error(`batch enrolment: ${response.status} ${await response.text()}`);
    all.push(...((await response.json()) as { enrolments: ClientEnrolment[] }).enrolments);
  }
  return all;
}

/** A client thread and what it reported. */
interface Thread {
  worker: Worker;
  started: Promise<void>;
  stopped: Promise<Extract<FromPool, { type: "stopped" }>>;
}

function startThread(setup: PoolSetup, onSent: (triples: number[]) => void): Thread {
  const worker = new Worker(new URL("./worker.ts", import.meta.url), { workerData: setup });
  let started!: () => void;
  let stopped!: (message: Extract<FromPool, { type: "stopped" }>) => void;
  let failed!: (error: Error) => void;
  const startedPromise = new Promise<void>((resolve, reject) => {
    started = resolve;
    failed = reject;
  });
  const stoppedPromise = new Promise<Extract<FromPool, { type: "stopped" }>>((resolve, reject) => {
    stopped = resolve;
    worker.once("error", reject);
  });
  worker.once("error", (error) => failed(error));
  worker.on("message", (message: FromPool) => {
    if (message.type === "started") started();
    else if (message.type === "sent") onSent(message.triples);
    else stopped(message);
  });
  return { worker, started: startedPromise, stopped: stoppedPromise };
}

async function stopThreads(threads: readonly Thread[]): Promise<Extract<FromPool, { type: "stopped" }>[]> {
  for (const t of threads) t.worker.postMessage({ type: "stop" } satisfies ToPool);
  const bound = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error("client threads did not stop within 60 s")), 60_000).unref(),
  );
  try {
    return await Promise.race([Promise.all(threads.map((t) => t.stopped)), bound]);
  } finally {
    await Promise.all(threads.map((t) => t.worker.terminate()));
  }
}

/** Appends each list of `from` to the list of the same name in `into`. */
function appendLists(into: Record<string, number[]>, from: Record<string, number[]>): void {
  for (const [name, values] of Object.entries(from)) {
    into[name] ??= [];
    for (const value of values) into[name].push(value);
  }
}

function mergeRequests(parts: readonly RequestStats[]): RequestStats {
  const merged: RequestStats = { latencies: {}, statuses: {}, timeline: {} };
  for (const part of parts) {
    appendLists(merged.latencies, part.latencies);
    for (const [key, requests] of Object.entries(part.timeline)) {
      merged.timeline[key] ??= {};
      appendLists(merged.timeline[key], requests);
    }
    for (const [status, count] of Object.entries(part.statuses))
      merged.statuses[status] = (merged.statuses[status] ?? 0) + count;
  }
  return merged;
}

/** A round's requests by kind, with the bytes of the version it trains from as "models". */
function roundTimeline(
  timeline: RequestStats["timeline"],
  summary: RoundSummary,
  started: number,
): Record<string, RequestSpan> {
  const requests = { ...timeline[`v${summary.modelVersion}`], ...timeline[String(summary.round)] };
  return Object.fromEntries(
    Object.entries(requests).map(([name, pairs]) => [name, requestSpan(pairs, started)]),
  );
}

/**
 * The edge's own workerd, reached without wrangler dev's proxy: of the ports it listens on, the one
 * that answers the worker's health route. The proxy (a dev-only hop that re-sends every request) is
 * not part of a deployed edge, and its CPU would compete with the edge's and the clients' for the
 * same two cores.
 */
async function directUrl(edge: LocalEdge, processes: EdgeProcesses): Promise<string> {
  // The proxy answers once the runtime behind it has started; until then there is no port to find.
  await fetch(`${edge.url}/v1/health`, { signal: AbortSignal.timeout(60_000) });
  processes.usage(); // finds the proxy, so that its port is not among the candidates
  for (const port of processes.runtimePorts()) {
    const url = `http://127.0.0.1:${port}`;
    try {
      const response = await fetch(`${url}/v1/health`, { signal: AbortSignal.timeout(5_000) });
      const body = (await response.json()) as { ok?: unknown };
      if (response.ok && body.ok === true) return url;
    } catch {
      // Not an HTTP port of the worker (the runtime also listens for its inspector and controls).
    }
  }
  throw new Error("found no port of the edge's workerd that serves the worker (use --via-dev-proxy)");
}

export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  const log = options.log;
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  const loadBefore = loadavg();
  const { models, evaluations } = population({
    clients: options.clients,
    queriesPerClient: options.queriesPerClient,
    seed: options.seed,
  });
  const config = federationConfig({
    kind: options.router,
    hyperparameters: options.hyperparameters,
    models,
    dimension: options.dimension,
    clients: options.clients,
    dropout: options.dropout,
    stageDeadlineSeconds: options.stageDeadlineSeconds,
    advertiseDeadlineSeconds: options.advertiseDeadlineSeconds,
    clip: options.clip,
    ...(options.shardSize === undefined ? {} : { shardSize: options.shardSize }),
    ...(options.stageQuorum === undefined ? {} : { stageQuorum: options.stageQuorum }),
  });
  const stateDir = mkdtempSync(join(tmpdir(), "fedrouter-load-"));
  let edge: LocalEdge | undefined;
  let threads: Thread[] = [];
  const stopAll = async () => {
    if (threads.length > 0) await Promise.all(threads.map((t) => t.worker.terminate()));
    threads = [];
    await edge?.stop();
  };
  const onSignal = () => {
    log("interrupted: stopping the edge");
    void stopAll().finally(() => {
      rmSync(stateDir, { recursive: true, force: true });
      process.exit(130);
    });
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    log(`starting the edge (state in ${stateDir})`);
    const inspectorPort = options.profile ? await freePort() : undefined;
    edge = await startEdge({
      root: options.root,
      stateDir,
      port: await freePort(),
      ...(inspectorPort ? { inspectorPort } : {}),
    });
    const edgeProcesses = new EdgeProcesses(Number(new URL(edge.url).port));
    const edgeUrl = options.viaDevProxy ? edge.url : await directUrl(edge, edgeProcesses);
    log(
      `requests go to ${edgeUrl}${options.viaDevProxy ? " (wrangler dev's proxy)" : " (the edge's workerd, no proxy)"}`,
    );
    const owner = await createTenant(edgeUrl, edge.operatorToken, "load", 1e9);
    const federation = await createFederation(owner, config);
    const enrolled = Date.now();
    const enrolments = await enrolAll(owner, federation.id, options.clients);
    const enrolSeconds = (Date.now() - enrolled) / 1000;
    log(
      `federation ${federation.id}: ${options.router}, ${options.clients} clients enrolled in ${enrolSeconds} s`,
    );

    // Survivors: per round, the clients whose masked input the edge accepted.
    const survivors = new Map<number, Set<number>>();
    const maskedInput = PROTOCOL_STEPS.indexOf("masked_input");
    const onSent = (triples: number[]) => {
      for (let i = 0; i < triples.length; i += 3)
        if (triples[i + 2] === maskedInput) {
          const round = triples[i]!;
          const set = survivors.get(round) ?? new Set<number>();
          survivors.set(round, set);
          set.add(triples[i + 1]!);
        }
    };
    const threadCount = Math.max(1, Math.min(options.threads, options.clients));
    const clientsStarted = Date.now();
    for (let t = 0; t < threadCount; t++) {
      const own = enrolments
        .map((e, index) => ({ index, token: e.token, evaluations: evaluations[index]! }))
        .filter(({ index }) => index % threadCount === t);
      threads.push(
        startThread(
          {
            edgeUrl,
            federationId: federation.id,
            modelPublicKey: enrolments[0]!.modelPublicKey,
            clients: own,
            dimension: options.dimension,
            seed: options.seed,
            dropout: options.dropout,
            pollMs: options.pollMs,
            longPollMs: options.longPollMs,
            concurrency: options.concurrency,
          },
          onSent,
        ),
      );
    }
    await Promise.all(threads.map((t) => t.started));
    const profiler = inspectorPort ? await startProfiler(inspectorPort) : undefined;
    log(`${options.clients} clients started in ${threadCount} threads`);

    // Until the schedule reports a finished training, sample CPU and memory.
    const edgeCpu: Sample[] = [];
    const proxyCpu: Sample[] = [];
    const ownCpu: Sample[] = [];
    let edgePeakRss = 0;
    let proxyPeakRss = 0;
    const sample = () => {
      const at = Date.now();
      const usage = edgeProcesses.usage();
      edgeCpu.push({ at, value: usage.cpuSeconds });
      proxyCpu.push({ at, value: usage.proxyCpuSeconds });
      const own = process.cpuUsage();
      ownCpu.push({ at, value: (own.user + own.system) / 1e6 });
      edgePeakRss = Math.max(edgePeakRss, usage.rssBytes);
      proxyPeakRss = Math.max(proxyPeakRss, usage.proxyRssBytes);
    };
    let lastLog = 0;
    let completed = false;
    let watched: number | null = null;
    let abortedInARow = 0;
    let gaveUp: string | undefined;
    // Leaves time to stop the clients, read the rounds and check the model before the timeout.
    const trainingDeadline = deadline - Math.min(300_000, (options.timeoutSeconds * 1000) / 5);
    for (let tick = 0; ; tick++) {
      if (Date.now() > trainingDeadline) {
        log(`timeout: training unfinished after ${options.timeoutSeconds} s; reporting the rounds so far`);
        break;
      }
      sample();
      if (tick % 2 === 0) {
        const view = await patiently(() => describeFederation(owner, federation.id), log);
        if (watched !== null && view.currentRound !== watched) {
          // The watched round ended: say how, and give up on a federation whose rounds all abort.
          const round = watched;
          const ended = await patiently(() => getRound(owner, federation.id, round), log);
          const { advertiseKeys, maskedInput } = ended.participants;
          const outcome = ended.outcome ? JSON.stringify(ended.outcome) : ended.stage;
          log(`  round ${watched}: ${advertiseKeys} advertised, ${maskedInput} summed, ${outcome}`);
          abortedInARow = ended.outcome?.kind === "aborted" ? abortedInARow + 1 : 0;
          if (abortedInARow >= MAX_ABORTED_IN_A_ROW) {
            gaveUp = `${abortedInARow} rounds in a row aborted, the last: ${outcome}`;
            log(`giving up: ${gaveUp}`);
            break;
          }
        }
        watched = view.currentRound;
        if (Date.now() - lastLog > 10_000) {
          lastLog = Date.now();
          const current = view.currentRound;
          // Where the round stands, so that a stalled stage shows while it stalls.
          const at =
            current === null
              ? ""
              : await patiently(() => getRound(owner, federation.id, current), log).then(
                  (r) => `: ${r.stage}, ${JSON.stringify(r.participants)}`,
                );
          log(`  round ${current ?? "-"}, version ${view.latestVersion}, ${view.training.state}${at}`);
        }
        if (view.training.trainings >= 1) {
          completed = true;
          break;
        }
        if (view.training.lastRefusal) log(`  the schedule was refused: ${view.training.lastRefusal}`);
      }
      await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
    }
    const trainedAt = Date.now();
    sample();
    let edgeProfile: ProfileSummary | undefined;
    if (profiler && options.profile) {
      // A profile that cannot be taken must not cost the run its report.
      try {
        const profile = await profiler.stop();
        writeFileSync(options.profile, JSON.stringify(profile));
        edgeProfile = summariseProfile(profile);
        log(`edge CPU profile written to ${options.profile}`);
      } catch (error) {
        log(`no edge CPU profile: ${(error as Error).message}`);
      }
    }
    const stoppedThreads = await stopThreads(threads);
    threads = [];
    const requests = mergeRequests(stoppedThreads.map((s) => s.requests));
    const errors: Record<string, number> = {};
    for (const s of stoppedThreads)
      for (const [code, count] of Object.entries(s.errors)) errors[code] = (errors[code] ?? 0) + count;
    const errorSamples = stoppedThreads.flatMap((s) => s.errorSamples).slice(0, 10);

    // Every round the schedule opened, and the versions they published.
    const summaries: RoundSummary[] = [];
    for (let round = 1; ; round++) {
      try {
        summaries.push(await patiently(() => getRound(owner, federation.id, round), log));
      } catch (error) {
        if (error instanceof EdgeRequestError && error.status === 404) break;
        throw error;
      }
    }
    const files = new Map<number, ModelFile>();
    const versionFile = async (version: number) => {
      if (!files.has(version))
        files.set(version, decodeModelFile(await modelBytes(owner, federation.id, version)));
    };
    const rounds: RoundFigures[] = [];
    const passes: PublishedPass[] = [];
    for (const summary of summaries) {
      const started = Date.parse(summary.startedAt);
      const ended = summary.endedAt ? Date.parse(summary.endedAt) : trainedAt;
      const accepted = [...(survivors.get(summary.round) ?? [])].sort((a, b) => a - b);
      const shards = (summary as { shards?: unknown[] }).shards;
      rounds.push({
        round: summary.round,
        cohort: summary.cohort.length,
        shards: Array.isArray(shards) ? shards.length : 1,
        survivors: summary.participants.maskedInput,
        survivorsSeenByClients: accepted.length,
        dropouts: summary.dropouts,
        outcome: summary.outcome?.kind ?? "unfinished",
        ...(summary.outcome?.kind === "aborted" ? { abortCode: summary.outcome.code } : {}),
        vectorLength: summary.secureAggregation.vectorLength,
        seconds: round2((ended - started) / 1000),
        edgeCpuSeconds: round2(growth(edgeCpu, started, ended)),
        devProxyCpuSeconds: round2(growth(proxyCpu, started, ended)),
        generatorCpuSeconds: round2(growth(ownCpu, started, ended)),
        timeline: roundTimeline(requests.timeline, summary, started),
      });
      if (summary.outcome?.kind === "published") {
        await versionFile(summary.modelVersion);
        await versionFile(summary.outcome.version);
        passes.push({
          round: summary.round,
          from: summary.modelVersion,
          to: summary.outcome.version,
          survivors: accepted,
          scale: summary.secureAggregation.scale,
        });
      }
    }
    await edge.stop();
    const storageBytes = folderBytes(stateDir);
    const loadAfter = loadavg();

    log(`checking ${passes.length} published versions against the simulation of the survivors' data`);
    const checks: PassCheck[] = await checkAgainstSimulation({
      kind: options.router,
      passes,
      files,
      evaluations,
      embedder: hashingEmbedder({ dimension: options.dimension }),
      seed: options.seed,
      compute: ortCompute({ backend: "auto", threads: 1 }),
    });
    const survivorsAgree = rounds.every(
      (r) => r.outcome !== "published" || r.survivors === r.survivorsSeenByClients,
    );
    // A round cut short by the timeout has no duration yet.
    const finished = rounds.filter((r) => r.outcome !== "unfinished");
    const seconds = finished.map((r) => r.seconds);
    const routes = Object.fromEntries(
      Object.entries(requests.latencies)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([route, values]) => [
          route,
          {
            count: values.length,
            p50Ms: round2(percentile(values, 0.5)),
            p99Ms: round2(percentile(values, 0.99)),
          },
        ]),
    );
    const requestCount = Object.values(requests.statuses).reduce((a, b) => a + b, 0);
    const totalSeconds = (trainedAt - clientsStarted) / 1000;
    const status5xx = Object.entries(requests.statuses)
      .filter(([status]) => /^5\d\d$/.test(status))
      .reduce((n, [, count]) => n + count, 0);
    const finalVersion = Math.max(...passes.map((p) => p.to), 0);
    return {
      completed,
      ...(gaveUp ? { gaveUp } : {}),
      clients: options.clients,
      router: options.router,
      dropout: options.dropout,
      seed: options.seed,
      viaDevProxy: options.viaDevProxy === true,
      shards: Math.max(1, ...rounds.map((r) => r.shards)),
      rounds: rounds.length,
      published: passes.length,
      finalVersion,
      perRound: rounds,
      totalSeconds: round2(totalSeconds),
      enrolSeconds: round2(enrolSeconds),
      roundSecondsP50: percentile(seconds, 0.5),
      roundSecondsP99: percentile(seconds, 0.99),
      routes,
      requests: requestCount,
      requestsPerSecond: round2(requestCount / totalSeconds),
      edgeCpuSecondsP99: percentile(
        finished.map((r) => r.edgeCpuSeconds),
        0.99,
      ),
      edgeCpuSecondsTotal: round2(growth(edgeCpu, clientsStarted, trainedAt)),
      devProxyCpuSecondsP99: percentile(
        finished.map((r) => r.devProxyCpuSeconds),
        0.99,
      ),
      devProxyCpuSecondsTotal: round2(growth(proxyCpu, clientsStarted, trainedAt)),
      generatorCpuSecondsP99: percentile(
        finished.map((r) => r.generatorCpuSeconds),
        0.99,
      ),
      generatorCpuSecondsTotal: round2(growth(ownCpu, clientsStarted, trainedAt)),
      peakRssMb: {
        edge: round2(edgePeakRss / 2 ** 20),
        devProxy: round2(proxyPeakRss / 2 ** 20),
        generator: round2((process.resourceUsage().maxRSS * 1024) / 2 ** 20),
      },
      storageBytes,
      status5xx,
      statuses: requests.statuses,
      clientErrors: errors,
      clientErrorSamples: errorSamples,
      modelMatchesSimulation:
        completed && passes.length > 0 && survivorsAgree && checks.every((c) => c.matches),
      modelCheck: checks,
      parameters: {
        threshold: config.secureAggregation.threshold,
        neighbourDegree: config.secureAggregation.neighbourDegree,
        stageDeadlineSeconds: options.stageDeadlineSeconds,
        advertiseDeadlineSeconds: options.advertiseDeadlineSeconds,
        dimension: options.dimension,
        queriesPerClient: options.queriesPerClient,
        hyperparameters: options.hyperparameters,
        threads: threadCount,
        concurrency: options.concurrency,
        pollMs: options.pollMs,
        longPollMs: options.longPollMs,
        ...(options.stageQuorum === undefined ? {} : { stageQuorum: options.stageQuorum }),
      },
      ...(edgeProfile ? { edgeProfile } : {}),
      loadAverage: { before: loadBefore.map(round2), after: loadAfter.map(round2) },
      date: new Date().toISOString(),
    };
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    await stopAll().catch((error: unknown) => log(`stopping: ${(error as Error).message}`));
    rmSync(stateDir, { recursive: true, force: true });
  }
}
