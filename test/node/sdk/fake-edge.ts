// An in-memory stand-in for the edge's client routes, served through an injected fetch: tests
// publish model versions, script rounds and failures, and read every request the SDK made.
import type { Benchmark } from "../../../core/data/benchmark.ts";
import { type EvaluationSet, evaluationSet } from "../../../core/data/evaluations.ts";
import { syntheticBenchmark } from "../../../core/data/synthetic.ts";
import { hashingEmbedder } from "../../../core/embedder/hashing.ts";
import { roundSchedule, simulate } from "../../../core/federated.ts";
import { federatedKMeans, initialKMeansState } from "../../../core/kmeans/federated.ts";
import { createFederatedMlp, createReferenceTrainer, initialMlpState } from "../../../core/mlp/index.ts";
import { encodeModelFile, type ModelFile } from "../../../core/model-file.ts";
import { seededRandom } from "../../../core/random.ts";
import type { RoundConfig, ServerMessage } from "../../../core/secagg/index.ts";
import type { RoundSummary } from "../../../core/wire/rounds.ts";

export const FEDERATION = "fed_00112233445566aa";
export const CLIENT = "cli_00112233445566bb";
export const TOKEN = `frc.${FEDERATION}.${CLIENT}.${"s".repeat(43)}`;
export const EDGE = "http://edge.test";

/** A small embedder so tests stay fast; its id rebuilds it (the SDK's default embedder). */
export const embedder = hashingEmbedder({ dimension: 24 });

export interface Fixture {
  benchmark: Benchmark;
  /** Each client's evaluation set (every cell observed). */
  sets: EvaluationSet[];
}

/** A synthetic benchmark split over `clients`, embedded with the test embedder. */
export async function fixture(clients = 2, queries = 120, seed = 5): Promise<Fixture> {
  const benchmark = syntheticBenchmark({ seed, queries, tasks: 3, models: 3 });
  const features = await embedder.embed(benchmark.prompts);
  const full = evaluationSet(benchmark, features);
  const per = Math.floor(queries / clients);
  const sets = Array.from({ length: clients }, (_, c) => slice(full, c * per, (c + 1) * per));
  return { benchmark, sets };
}

function slice(set: EvaluationSet, from: number, to: number): EvaluationSet {
  const { dimension: d, modelCount: m } = set;
  return {
    n: to - from,
    dimension: d,
    modelCount: m,
    features: set.features.slice(from * d, to * d),
    quality: set.quality.slice(from * m, to * m),
    cost: set.cost.slice(from * m, to * m),
    observed: set.observed.slice(from * m, to * m),
  };
}

const info = () => ({ id: embedder.id, dimension: embedder.dimension });

/** A trained (routable) K-means router. */
export async function kmeansFile(data: Fixture, clusters = 3): Promise<ModelFile> {
  const state = await simulate(
    federatedKMeans,
    initialKMeansState({ models: data.benchmark.models, embedder: info(), clusters }),
    data.sets,
    { random: seededRandom(1) },
  );
  return federatedKMeans.toModelFile(state);
}

/** The initial, not yet routable K-means state (version 0 of a K-means federation). */
export function untrainedKMeansFile(data: Fixture): ModelFile {
  return federatedKMeans.toModelFile(initialKMeansState({ models: data.benchmark.models, embedder: info() }));
}

/** A small MLP router after its statistics pass and `rounds` training rounds. */
export async function mlpFile(data: Fixture, rounds = 1): Promise<ModelFile> {
  const algorithm = createFederatedMlp(createReferenceTrainer());
  const initial = initialMlpState({
    models: data.benchmark.models,
    embedder: info(),
    hidden: 8,
    rounds,
    batchSize: 16,
  });
  const state = await simulate(algorithm, initial, data.sets, {
    random: seededRandom(2),
    schedule: roundSchedule(2),
  });
  return algorithm.toModelFile(state);
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

export interface SeenRequest {
  method: string;
  path: string;
  headers: Headers;
  body: Uint8Array | undefined;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

const error = (status: number, code: string, message: string) => json(status, { error: { code, message } });

/** A round as the edge describes it, for a client-side test. */
export function roundSummary(
  round: number,
  modelVersion: number,
  vectorLength: number,
  cohort: string[],
): RoundSummary {
  const secureAggregation: RoundConfig = {
    roundId: `${FEDERATION}/${round}`,
    curve: "X25519",
    maxClients: cohort.length,
    threshold: cohort.length - 1,
    neighbourDegree: "complete",
    vectorLength,
    clip: { min: -1000, max: 1000 },
    scale: 2 ** 30 / (cohort.length * 1000),
    maxWeight: 1,
  };
  return {
    federationId: FEDERATION,
    round,
    secureAggregation,
    modelVersion,
    stage: "advertise_keys",
    startedAt: new Date(0).toISOString(),
    endedAt: null,
    stageDeadline: null,
    cohort,
    participants: { advertiseKeys: 0, shareKeys: 0, maskedInput: 0, unmask: 0 },
    dropouts: 0,
    outcome: null,
  };
}

type Message =
  | ServerMessage
  | { type: "waiting"; stage: RoundSummary["stage"]; roundId: string; clientId: string };

export class FakeEdge {
  readonly requests: SeenRequest[] = [];
  readonly versions: { version: number; bytes: Uint8Array; sha256: string; round: number | null }[] = [];
  /** Answers given before normal handling, in order: a Response, or an Error the fetch throws. */
  readonly interruptions: (Response | Error)[] = [];
  /** Serve model bytes that differ from the stated SHA-256. */
  tamper = false;
  round: RoundSummary | null = null;
  /** The message a client polling the round gets (default: waiting). */
  message: (summary: RoundSummary) => Message = (summary) => ({
    type: "waiting",
    stage: summary.stage,
    roundId: summary.secureAggregation.roundId,
    clientId: CLIENT,
  });

  async publish(file: ModelFile, round: number | null = null): Promise<number> {
    const bytes = encodeModelFile(file);
    const version = this.versions.length;
    this.versions.push({ version, bytes, sha256: await sha256(bytes), round });
    return version;
  }

  get latest() {
    return this.versions.at(-1);
  }

  count(method: string, pattern: RegExp): number {
    return this.requests.filter((r) => r.method === method && pattern.test(r.path)).length;
  }

  readonly fetch = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    const method = init.method ?? "GET";
    const headers = new Headers(init.headers);
    const sent = init.body;
    const body: Uint8Array | undefined =
      sent instanceof Uint8Array
        ? new Uint8Array(sent)
        : typeof sent === "string"
          ? new TextEncoder().encode(sent)
          : undefined;
    this.requests.push({ method, path: url.pathname, headers, body });
    const interruption = this.interruptions.shift();
    if (interruption instanceof Error) throw interruption;
    if (interruption) return interruption;
    if (headers.get("authorization") !== `Bearer ${TOKEN}`) return error(401, "unauthorized", "bad token");
    return this.#handle(method, url.pathname, headers);
  }) as typeof fetch;

  #handle(method: string, path: string, headers: Headers): Response {
    const base = `/v1/federations/${FEDERATION}`;
    if (!path.startsWith(base)) return error(404, "not_found", "no such federation");
    const rest = path.slice(base.length);
    if (method === "GET" && rest === "/models/latest") {
      const latest = this.latest;
      if (!latest) return error(500, "internal", "nothing published");
      if (headers.get("if-none-match") === `"${latest.sha256}"`) return new Response(null, { status: 304 });
      return json(200, {
        version: latest.version,
        sha256: latest.sha256,
        bytes: latest.bytes.length,
        createdAt: new Date(0).toISOString(),
        round: latest.round,
        federationId: FEDERATION,
        url: `${base}/models/${latest.version}`,
      });
    }
    if (method === "GET" && rest === "/models")
      return json(
        200,
        this.versions.map((v) => ({
          version: v.version,
          sha256: v.sha256,
          bytes: v.bytes.length,
          createdAt: new Date(0).toISOString(),
          round: v.round,
        })),
      );
    const model = /^\/models\/(\d+)$/.exec(rest);
    if (method === "GET" && model) {
      const found = this.versions[Number(model[1])];
      if (!found) return error(404, "not_found", "no such version");
      const bytes = found.bytes.slice();
      if (this.tamper) bytes[bytes.length - 1]! ^= 0xff;
      return new Response(bytes, { status: 200, headers: { "content-type": "application/octet-stream" } });
    }
    if (method === "GET" && rest === "/rounds/current")
      return this.round ? json(200, this.round) : error(404, "not_found", "no round is in progress");
    const round = /^\/rounds\/(\d+)(\/[a-z-]+)?$/.exec(rest);
    if (round && this.round && Number(round[1]) === this.round.round) {
      if (method === "GET" && !round[2]) return json(200, this.round);
      if (method === "GET" && round[2] === "/message") return json(200, this.message(this.round));
      const stage = round[2]?.slice(1).replaceAll("-", "_");
      if (method !== "GET" && stage) return json(200, { stage, clientId: CLIENT, digest: "0".repeat(64) });
    }
    return error(404, "not_found", `no route ${method} ${path}`);
  }
}
