// The client side of one secure-aggregation round as messages to send: it runs core/secagg's
// client state machine and says which route each answer goes to. It does no I/O, so the SDK's
// participate() and the edge tests' simulated clients send the very same messages.
import {
  type ClientState,
  type ConsistencyRequest,
  clientConsistencyCheck,
  clientMaskInput,
  clientShareKeys,
  clientUnmask,
  DEFAULT_FLOORS,
  type ForwardedShares,
  type NeighbourKeys,
  type PrivacyFloors,
  type RoundConfig,
  SECAGG_ERROR,
  type SecAggErrorCode,
  startClient,
  type UnmaskRequest,
} from "../../../core/secagg/index.ts";
import { FedRouterError } from "../errors.ts";

/** The five stages at which a client sends a message, in protocol order. */
export type ProtocolStep = "advertise_keys" | "share_keys" | "masked_input" | "consistency_check" | "unmask";

/** A message ready to send: its route under `roundPath(...)/` and its body. */
export type OutgoingMessage =
  | {
      stage: "advertise_keys" | "share_keys" | "consistency_check" | "unmask";
      method: "POST";
      path: string;
      json: unknown;
    }
  | { stage: "masked_input"; method: "PUT"; path: "masked-input"; bytes: Uint8Array<ArrayBuffer> };

/**
 * The path of the routes of the Round a client talks to: the round's, or in a sharded round its
 * shard's (the `shard` that `rounds/current` names for the client).
 */
export function roundPath(federationId: string, round: number, shard?: number | null): string {
  const path = `/v1/federations/${federationId}/rounds/${round}`;
  return shard === undefined || shard === null ? path : `${path}/shards/${shard}`;
}

/** The protocol's refusals of what the edge asked that would weaken privacy: they are unsafe_round. */
const REFUSALS: ReadonlySet<SecAggErrorCode> = new Set([
  SECAGG_ERROR.BELOW_FLOOR,
  SECAGG_ERROR.CONSISTENCY_CHECK_FAILED,
  SECAGG_ERROR.PROTOCOL_VIOLATION,
  SECAGG_ERROR.TOO_FEW_SURVIVORS,
]);

function failed(stage: ProtocolStep, failure: { code: SecAggErrorCode; message: string }): FedRouterError {
  return new FedRouterError(
    REFUSALS.has(failure.code) ? "unsafe_round" : "round",
    `secure aggregation, ${stage}: ${failure.code}: ${failure.message}`,
  );
}

/** One client's part in one round: holds the protocol state between messages. */
export class SecureAggregationSession {
  readonly clientId: string;
  readonly #floors: PrivacyFloors;
  #state: ClientState | undefined;

  /** `floors`: the least this client accepts from the round (default: the SDK's). */
  constructor(clientId: string, floors: PrivacyFloors = DEFAULT_FLOORS) {
    this.clientId = clientId;
    this.#floors = floors;
  }

  /** The protocol state (JSON-serialisable), once started. */
  get state(): ClientState | undefined {
    return this.#state;
  }

  #require(stage: ProtocolStep): ClientState {
    if (!this.#state)
      throw new FedRouterError(
        "round",
        `secure aggregation, ${stage}: the session has not advertised its keys yet`,
      );
    return this.#state;
  }

  /** Stage advertise_keys: fresh key pairs for the round. */
  async advertiseKeys(config: RoundConfig): Promise<OutgoingMessage> {
    const started = await startClient(config, this.clientId, this.#floors);
    if (!started.ok) throw failed("advertise_keys", started);
    this.#state = started.state;
    return { stage: "advertise_keys", method: "POST", path: "advertise-keys", json: started.message };
  }

  /** Stage share_keys: Shamir shares of this client's secrets, sealed for each neighbour. */
  async shareKeys(message: NeighbourKeys): Promise<OutgoingMessage> {
    const next = await clientShareKeys(this.#require("share_keys"), message);
    if (!next.ok) throw failed("share_keys", next);
    this.#state = next.state;
    return { stage: "share_keys", method: "POST", path: "share-keys", json: next.message };
  }

  /**
   * Stage masked_input: the encoded contribution plus the pairwise and self masks, as the
   * little-endian Uint32 bytes the edge takes.
   */
  async maskedInput(message: ForwardedShares, encoded: Uint32Array): Promise<OutgoingMessage> {
    const next = await clientMaskInput(this.#require("masked_input"), message, encoded);
    if (!next.ok) throw failed("masked_input", next);
    this.#state = next.state;
    const vector = next.message.vector;
    // Copied: the bytes must not alias a buffer the caller may reuse.
    const bytes = new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength).slice();
    return { stage: "masked_input", method: "PUT", path: "masked-input", bytes };
  }

  /** Stage consistency_check: this client's signature of the survivor set the edge announced. */
  async consistencyCheck(message: ConsistencyRequest): Promise<OutgoingMessage> {
    const next = await clientConsistencyCheck(this.#require("consistency_check"), message);
    if (!next.ok) throw failed("consistency_check", next);
    this.#state = next.state;
    return { stage: "consistency_check", method: "POST", path: "consistency-check", json: next.message };
  }

  /**
   * Stage unmask: the shares that let the edge remove the masks of survivors and dropouts. Throws,
   * sending nothing, when the request fails the consistency check (`consistency_check_failed`).
   */
  async unmask(message: UnmaskRequest): Promise<OutgoingMessage> {
    const next = await clientUnmask(this.#require("unmask"), message);
    if (!next.ok) throw failed("unmask", next);
    this.#state = next.state;
    return { stage: "unmask", method: "POST", path: "unmask", json: next.message };
  }
}

/** A message as fetch's RequestInit (headers besides the content type are the caller's). */
export function requestOf(message: OutgoingMessage): { method: string; body: BodyInit; contentType: string } {
  return message.method === "PUT"
    ? { method: "PUT", body: message.bytes, contentType: "application/octet-stream" }
    : { method: "POST", body: JSON.stringify(message.json), contentType: "application/json" };
}
