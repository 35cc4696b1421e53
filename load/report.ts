// The load generator's report (the JSON `npm run load -- --out` writes; bench reads it).
import type { PassCheck } from "./model-check.ts";
import type { ProfileSummary } from "./profiler.ts";
import type { RequestSpan } from "./stats.ts";

export interface RoundFigures {
  round: number;
  cohort: number;
  /** Round objects the cohort was split into (1 without sharding). */
  shards: number;
  /** Masked inputs the edge summed (its count). */
  survivors: number;
  /** Clients that got the edge's receipt for their masked input: must equal `survivors`. */
  survivorsSeenByClients: number;
  dropouts: number;
  outcome: "published" | "aborted" | "unfinished";
  abortCode?: string;
  vectorLength: number;
  /** From opening to outcome, by the edge's clock. */
  seconds: number;
  /**
   * CPU seconds (user + system) while the round ran of the workerd that runs the worker, its
   * Durable Objects and KV (load/proc.ts).
   */
  edgeCpuSeconds: number;
  /** The same of wrangler dev's proxy, which only local runs have: counted apart from the edge's. */
  devProxyCpuSeconds: number;
  /** The load generator's own CPU seconds (all its threads) while the round ran. */
  generatorCpuSeconds: number;
  /**
   * Per route ("advertise-keys", "message", "models" for the bytes of the version it trains from):
   * when the clients sent those requests and got their answers, in s since the round opened.
   */
  timeline: Record<string, RequestSpan>;
}

export interface RouteLatency {
  count: number;
  p50Ms: number;
  p99Ms: number;
}

export interface LoadReport {
  /** Whether the training reached its final version before the timeout. */
  completed: boolean;
  /** Why the run stopped before the training finished, when it gave up. */
  gaveUp?: string;
  clients: number;
  router: string;
  dropout: number;
  seed: number;
  /**
   * Whether requests went through wrangler dev's proxy. By default they go straight to the edge's
   * workerd (found by its listening ports), as a deployed edge is reached; the proxy then idles.
   */
  viaDevProxy: boolean;
  shards: number;
  /** Rounds opened (aborted ones included). */
  rounds: number;
  /** Rounds that published a version. */
  published: number;
  finalVersion: number;
  perRound: RoundFigures[];
  /** From the clients' start to the final version's publication. */
  totalSeconds: number;
  enrolSeconds: number;
  roundSecondsP50: number;
  roundSecondsP99: number;
  /** Per route (method and path pattern). */
  routes: Record<string, RouteLatency>;
  requests: number;
  requestsPerSecond: number;
  edgeCpuSecondsP99: number;
  edgeCpuSecondsTotal: number;
  devProxyCpuSecondsP99: number;
  devProxyCpuSecondsTotal: number;
  generatorCpuSecondsP99: number;
  generatorCpuSecondsTotal: number;
  /** Peak resident memory (sampled): the edge's workerd, wrangler dev's proxy and the generator's process. */
  peakRssMb: { edge: number; devProxy: number; generator: number };
  /** Bytes of the edge's persisted state folder (Durable Objects' SQLite, KV, R2) after the run. */
  storageBytes: number;
  status5xx: number;
  /** Responses per HTTP status ("network": no answer). */
  statuses: Record<string, number>;
  /** Errors the clients' start() loops met, by code (simulated dropouts not counted). */
  clientErrors: Record<string, number>;
  clientErrorSamples: string[];
  /** Every published version equals finalise(previous, plain sum of its survivors) within the fixed-point bound. */
  modelMatchesSimulation: boolean;
  modelCheck: PassCheck[];
  parameters: Record<string, unknown>;
  /** With --profile: where the edge's JavaScript spent its CPU over the training. */
  edgeProfile?: ProfileSummary;
  /** 1, 5 and 15 minute load averages of the machine. */
  loadAverage: { before: number[]; after: number[] };
  date: string;
}
