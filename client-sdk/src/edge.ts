// The client's view of the edge API: the routes a client token may call, each answer checked
// against the wire schema the edge itself is built from (core/wire), retries per retry.ts.
import type { z } from "zod";
import { type ServerMessage, serverMessageSchema } from "../../core/secagg/index.ts";
import { sha256Hex } from "../../core/sha256.ts";
import { type ClientFederation, clientFederationSchema } from "../../core/wire/federation.ts";
import {
  type ClientRound,
  clientRoundSchema,
  type EvaluationReport,
  type ModelPointer,
  type ModelVersion,
  modelPointerSchema,
  modelVersionSchema,
  receiptWithNextSchema,
  type VersionEvaluation,
  versionEvaluationSchema,
  waitingMessageSchema,
} from "../../core/wire/index.ts";
import { type CheckInReceipt, checkInReceiptSchema } from "../../core/wire/schedule.ts";
import { FedRouterError } from "./errors.ts";
import { fetchWithRetry, type RetryPolicy } from "./retry.ts";
import { type OutgoingMessage, requestOf, roundPath } from "./round/secure-aggregation.ts";

export interface EdgeOptions {
  edgeUrl: string;
  federationId: string;
  token: string;
  fetch: typeof fetch;
  retry: Partial<RetryPolicy>;
}

/** The Round a client talks to: a round's, or one shard's of a sharded round. */
export interface RoundAddress {
  round: number;
  /** The shard `rounds/current` names for this client; absent or null when the round is unsharded. */
  shard?: number | null;
}

/** What GET …/rounds/{n}/message answers: a stage message, or "nothing for you yet". */
export type RoundMessage = ServerMessage | z.infer<typeof waitingMessageSchema>;

const messageSchema = serverMessageSchema.or(waitingMessageSchema);

/**
 * A response body, read no longer than `signal` allows. Node's fetch can wait forever on the body
 * of a request whose signal aborted mid-read (nodejs/undici#4232), so the read races the signal.
 */
async function readBody<T>(read: Promise<T>, signal: AbortSignal | undefined, path: string): Promise<T> {
  if (!signal) return read;
  // The losing read's failure is of no interest once the signal has won.
  read.catch(() => {});
  let onAbort = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(new FedRouterError("aborted", `reading the answer of ${path} was aborted`));
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([read, aborted]);
  } catch (cause) {
    if (signal.aborted && !(cause instanceof FedRouterError))
      throw new FedRouterError("aborted", `reading the answer of ${path} was aborted`, { cause });
    throw cause;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** The query of a long poll (core/wire/long-poll.ts); none when not waiting. */
function waiting(waitMs: number): string {
  return waitMs > 0 ? `?waitMs=${waitMs}` : "";
}

export class EdgeApi {
  readonly #options: EdgeOptions;
  readonly #base: string;
  /** The edge URL without a trailing slash (it may carry a path prefix behind a proxy). */
  readonly #origin: string;

  constructor(options: EdgeOptions) {
    this.#options = options;
    this.#origin = options.edgeUrl.replace(/\/+$/, "");
    this.#base = `/v1/federations/${options.federationId}`;
  }

  async #fetch(path: string, init: RequestInit, signal?: AbortSignal): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("authorization", `Bearer ${this.#options.token}`);
    return fetchWithRetry(
      `${this.#origin}${path}`,
      { ...init, headers },
      { fetch: this.#options.fetch, retry: this.#options.retry, ...(signal ? { signal } : {}) },
    );
  }

  async #json<S extends z.ZodType>(
    schema: S,
    path: string,
    init: RequestInit = {},
    signal?: AbortSignal,
  ): Promise<z.infer<S>> {
    const response = await this.#fetch(path, init, signal);
    let body: unknown;
    try {
      body = await readBody(response.json(), signal, path);
    } catch (cause) {
      if (cause instanceof FedRouterError) throw cause;
      throw new FedRouterError("server", `${path} answered ${response.status} without JSON`, { cause });
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success)
      throw new FedRouterError("server", `${path} answered an unexpected body: ${parsed.error.message}`);
    return parsed.data;
  }

  /** The latest pointer, or "unchanged" when it still has the SHA-256 in `knownSha256`. */
  async latest(knownSha256?: string, signal?: AbortSignal): Promise<ModelPointer | "unchanged"> {
    const path = `${this.#base}/models/latest`;
    const headers: Record<string, string> = knownSha256 ? { "if-none-match": `"${knownSha256}"` } : {};
    const response = await this.#fetch(path, { headers }, signal);
    if (response.status === 304) return "unchanged";
    const body = await readBody(
      response.json().catch(() => undefined),
      signal,
      path,
    );
    const parsed = modelPointerSchema.safeParse(body);
    if (!parsed.success) throw new FedRouterError("server", "the latest model pointer is malformed");
    return parsed.data;
  }

  /** The federation as its clients see it: its configuration, fixed at creation (privacy included). */
  federation(signal?: AbortSignal): Promise<ClientFederation> {
    return this.#json(clientFederationSchema, this.#base, {}, signal);
  }

  /** Every published version with its SHA-256. */
  versions(): Promise<ModelVersion[]> {
    return this.#json(modelVersionSchema.array(), `${this.#base}/models`);
  }

  /**
   * A version's bytes, checked against the SHA-256 the edge states for it: a model that does
   * not match is refused before anything reads it.
   */
  async modelBytes(version: number, sha256: string, signal?: AbortSignal): Promise<Uint8Array> {
    const path = `${this.#base}/models/${version}`;
    const response = await this.#fetch(path, {}, signal);
    const bytes = new Uint8Array(await readBody(response.arrayBuffer(), signal, path));
    const actual = await sha256Hex(bytes);
    if (actual !== sha256)
      throw new FedRouterError(
        "integrity",
        `model version ${version} has SHA-256 ${actual}, the edge states ${sha256}`,
      );
    return bytes;
  }

  #roundPath(at: number | RoundAddress): string {
    const { round, shard } = typeof at === "number" ? { round: at, shard: null } : at;
    return roundPath(this.#options.federationId, round, shard);
  }

  /** The round in progress as a client sees it, or null when none runs (the edge answers 404 not_found). */
  async currentRound(signal?: AbortSignal): Promise<ClientRound | null> {
    try {
      return await this.#json(clientRoundSchema, `${this.#base}/rounds/current`, {}, signal);
    } catch (error) {
      if (error instanceof FedRouterError && error.status === 404) return null;
      throw error;
    }
  }

  /** A round; with `waitMs`, the edge holds the answer until the round has an outcome (at most that long). */
  round(round: number, signal?: AbortSignal, waitMs = 0): Promise<ClientRound> {
    return this.#json(clientRoundSchema, `${this.#base}/rounds/${round}${waiting(waitMs)}`, {}, signal);
  }

  /**
   * The current stage's message for this client from its Round (its shard's in a sharded round).
   * With `waitMs`, the edge holds a "waiting" answer until a stage ends (at most that long).
   */
  message(at: number | RoundAddress, signal?: AbortSignal, waitMs = 0): Promise<RoundMessage> {
    const path = `${this.#roundPath(at)}/message${waiting(waitMs)}`;
    return this.#json(messageSchema, path, {}, signal) as Promise<RoundMessage>;
  }

  /**
   * Sends one stage's message; a resend of the same message gets the same receipt. With `waitMs`,
   * the edge answers once this client has its next message, and returns that message.
   */
  async send(
    at: number | RoundAddress,
    message: OutgoingMessage,
    signal?: AbortSignal,
    waitMs = 0,
  ): Promise<RoundMessage | undefined> {
    const { method, body, contentType } = requestOf(message);
    const receipt = await this.#json(
      receiptWithNextSchema,
      `${this.#roundPath(at)}/${message.path}${waiting(waitMs)}`,
      { method, body, headers: { "content-type": contentType } },
      signal,
    );
    return receipt.next as RoundMessage | undefined;
  }

  /**
   * Says this client is available for rounds; of its data only its evaluation bucket. With
   * `waitMs`, the edge holds the answer until a round after `afterRound` invites this client.
   */
  checkIn(
    evaluationBucket: number,
    signal?: AbortSignal,
    wait: { waitMs: number; afterRound: number } = { waitMs: 0, afterRound: 0 },
  ): Promise<CheckInReceipt> {
    const query = wait.waitMs > 0 ? `?waitMs=${wait.waitMs}&afterRound=${wait.afterRound}` : "";
    return this.#json(
      checkInReceiptSchema,
      `${this.#base}/check-in${query}`,
      {
        method: "POST",
        body: JSON.stringify({ evaluationBucket }),
        headers: { "content-type": "application/json" },
      },
      signal,
    );
  }

  reportEvaluation(version: number, report: EvaluationReport): Promise<VersionEvaluation> {
    return this.#json(versionEvaluationSchema, `${this.#base}/models/${version}/evaluations`, {
      method: "POST",
      body: JSON.stringify(report),
      headers: { "content-type": "application/json" },
    });
  }
}
