// One client thread of the load generator: many SDK clients, each on its own in-memory store,
// kept available with client.start() so the SDK itself finds each round and which Round object
// to talk to. A client drops out where the seeded draw says (its progress callback throws, and it
// goes silent for the rest of that round). Every request goes through one fetch per thread that
// bounds how many are in flight and records each one's latency and status.
import {
  createClient,
  type FedrouterClient,
  hashingEmbedder,
  MemoryStore,
  type Random,
} from "../client-sdk/src/index.ts";
import { roundSchedule } from "../core/federated.ts";
import { dropPoint, SimulatedDropout } from "./dropout.ts";
import { type PoolSetup, PROTOCOL_STEPS, type RequestStats } from "./messages.ts";

/** A counting semaphore: at most `size` holders at once, the others queue in order. */
class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  constructor(size: number) {
    this.#free = size;
  }
  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}

/** A route as a name: ids and numbers in the path become placeholders. */
export function routeName(method: string, url: string): string {
  const path = new URL(url).pathname
    .replace(/^\/v1\/federations\/[^/]+/, "/v1/federations/{id}")
    .replace(/\/rounds\/\d+/, "/rounds/{n}")
    .replace(/\/shards\/\d+/, "/shards/{s}")
    .replace(/\/models\/\d+/, "/models/{v}");
  return `${method.toUpperCase()} ${path}`;
}

/**
 * Where a request goes in its round's timeline: the round (its path's number, or "v<n>" for a model
 * version's bytes) and what it is, the path's last segment ("message", "models", "round"), so that
 * a sharded round's shards fall together.
 */
export function timelineSlot(url: string): { key: string; name: string } | undefined {
  const path = new URL(url).pathname;
  const version = /\/models\/(\d+)$/.exec(path);
  if (version) return { key: `v${version[1]}`, name: "models" };
  const round = /\/rounds\/(\d+)(\/.*)?$/.exec(path);
  if (!round) return undefined;
  return { key: round[1]!, name: round[2] ? round[2].split("/").at(-1)! : "round" };
}

/** A fetch bounded to `concurrency` requests in flight, recording latencies and statuses. */
function measuredFetch(concurrency: number, stats: RequestStats): typeof fetch {
  const slots = new Slots(concurrency);
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const route = routeName(request.method, request.url);
    // A long poll (core/wire/long-poll.ts) waits on the edge, not on this machine: it takes no slot,
    // or held polls would queue every other request behind them.
    const held = new URL(request.url).searchParams.has("waitMs");
    if (!held) await slots.acquire();
    const started = performance.now();
    const sentAt = Date.now();
    try {
      const response = await fetch(request);
      stats.latencies[route] ??= [];
      stats.latencies[route].push(performance.now() - started);
      const slot = timelineSlot(request.url);
      if (slot) {
        const { key, name } = slot;
        stats.timeline[key] ??= {};
        const round = stats.timeline[key];
        round[name] ??= [];
        round[name].push(sentAt, Date.now());
      }
      stats.statuses[response.status] = (stats.statuses[response.status] ?? 0) + 1;
      return response;
    } catch (error) {
      // A request the client itself gave up on (stop(), a deadline) is no failure of the edge.
      const outcome = request.signal.aborted ? "aborted" : "network";
      stats.statuses[outcome] = (stats.statuses[outcome] ?? 0) + 1;
      throw error;
    } finally {
      if (!held) slots.release();
    }
  }) as typeof fetch;
}

export interface Pool {
  stop(): Promise<{ requests: RequestStats; errors: Record<string, number>; errorSamples: string[] }>;
}

/**
 * Starts every client of `setup`. `onSent(round, client, step)` hears of each message the edge
 * accepted (the survivors of a round are those whose masked input it accepted).
 */
export async function startPool(
  setup: PoolSetup,
  onSent: (round: number, client: number, step: number) => void,
): Promise<Pool> {
  const requests: RequestStats = { latencies: {}, statuses: {}, timeline: {} };
  const errors: Record<string, number> = {};
  const errorSamples: string[] = [];
  const fetch = measuredFetch(setup.concurrency, requests);
  const embedder = hashingEmbedder({ dimension: setup.dimension });
  const schedule = roundSchedule(setup.seed);
  const clients: FedrouterClient[] = [];
  for (const { index, token, evaluations } of setup.clients) {
    const store = new MemoryStore();
    for (const evaluation of evaluations) await store.add(evaluation);
    const client = createClient({
      edgeUrl: setup.edgeUrl,
      federationId: setup.federationId,
      token,
      modelPublicKey: setup.modelPublicKey,
      store,
      embedder,
      fetch,
      pollIntervalMs: setup.pollMs,
      longPollMs: setup.longPollMs,
    });
    // Training randomness per round, as the simulation draws it: switched when the round is known.
    let stream: Random = schedule.randomFor(0, index);
    const random: Random = () => stream();
    client.start({
      pollIntervalMs: setup.pollMs,
      maxBackoffMs: 2 * setup.pollMs,
      participate: {
        random,
        waitForOutcome: false,
        onProgress: ({ stage, round }) => {
          if (round === undefined) return;
          const drop = dropPoint(setup.seed, setup.dropout, round, index);
          if (stage === "model") {
            stream = schedule.randomFor(round, index);
            if (drop === "before_advertise_keys") throw new SimulatedDropout(`round ${round}`);
            return;
          }
          const step = PROTOCOL_STEPS.indexOf(stage as (typeof PROTOCOL_STEPS)[number]);
          if (step < 0) return;
          onSent(round, index, step);
          if (drop === stage) throw new SimulatedDropout(`round ${round}`);
        },
      },
      onError: (error) => {
        if (error instanceof SimulatedDropout) return;
        const code = (error as { code?: string }).code ?? (error as Error).name ?? "error";
        errors[code] = (errors[code] ?? 0) + 1;
        if (errorSamples.length < 20) errorSamples.push(`${code}: ${(error as Error).message}`);
      },
    });
    clients.push(client);
  }
  return {
    async stop() {
      await Promise.all(clients.map((client) => client.stop()));
      return { requests, errors, errorSamples };
    },
  };
}
