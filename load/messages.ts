// What the load generator's main thread and its client threads tell each other.
import type { Evaluation } from "../client-sdk/src/index.ts";

export interface PoolClient {
  /** The client's index in the population: its data, dropout draws and training randomness. */
  index: number;
  token: string;
  evaluations: Evaluation[];
}

/** A client thread's workerData. */
export interface PoolSetup {
  edgeUrl: string;
  federationId: string;
  modelPublicKey: string;
  clients: PoolClient[];
  /** Of the hashing embedder. */
  dimension: number;
  seed: number;
  dropout: number;
  /** The SDK's poll of a round's messages, and the start() loop's look for an invitation. */
  pollMs: number;
  /** How long the edge may hold a poll (the SDK's longPollMs; 0: plain polls every pollMs). */
  longPollMs: number;
  /** Requests in flight at once from this thread, at most. */
  concurrency: number;
}

/** Latencies and status counts of the requests a thread's clients made. */
export interface RequestStats {
  /** Per route ("GET /v1/federations/{id}/rounds/current"): each request's milliseconds. */
  latencies: Record<string, number[]>;
  /** Per HTTP status (or "network" for a request that got no answer): how many. */
  statuses: Record<string, number>;
  /**
   * Per round (from the path; a model's bytes by its version, "v<n>") and kind of request (the
   * path's last segment): when each was sent and answered, as flat pairs of ms since the epoch.
   * The report's stage timeline.
   */
  timeline: Record<string, Record<string, number[]>>;
}

export type FromPool =
  | { type: "started" }
  /** Flat triples (round, client index, step index in PROTOCOL_STEPS): messages the edge accepted. */
  | { type: "sent"; triples: number[] }
  | { type: "stopped"; requests: RequestStats; errors: Record<string, number>; errorSamples: string[] };

export type ToPool = { type: "stop" };

/** The messages a client sends in a round, in order (the SDK's ProtocolStep). */
export const PROTOCOL_STEPS = [
  "advertise_keys",
  "share_keys",
  "masked_input",
  "consistency_check",
  "unmask",
] as const;
