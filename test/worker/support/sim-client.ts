// A federation client driven over HTTP inside workerd, one method per stage so tests can stop any
// client at any stage (a dropout). The messages come from the SDK's SecureAggregationSession, the
// code participate() sends them with; a malicious client may mask a vector it encoded itself.
import {
  type OutgoingMessage,
  roundPath,
  SecureAggregationSession,
} from "../../../client-sdk/src/round/secure-aggregation.ts";
import { call, expectStatus, type Reply } from "./api.ts";
import {
  type ClientState,
  encode,
  type RoundConfig,
  seededEncodingRandom,
  type UnmaskResponse,
} from "./secagg.ts";

/** An encoded vector [weight, values...] a malicious client builds itself for the round's config. */
export interface CraftedInput {
  crafted(config: RoundConfig): Uint32Array;
}

export class SimClient {
  readonly clientId: string;
  readonly token: string;
  private readonly base: string;
  private readonly session: SecureAggregationSession;
  /** The encoded vector this client sent (for the plain reference sum). */
  encoded: Uint32Array | undefined;
  /** The masked bytes this client sent (to replay them). */
  maskedBytes: Uint8Array | undefined;

  /** `shard`: the client's shard of a sharded round, whose Round it talks to. */
  constructor(
    federationId: string,
    round: number,
    client: { clientId: string; token: string },
    shard?: number,
  ) {
    this.clientId = client.clientId;
    this.token = client.token;
    this.base = roundPath(federationId, round, shard);
    this.session = new SecureAggregationSession(client.clientId);
  }

  get state(): ClientState | undefined {
    return this.session.state;
  }

  /** `waitMs`: the receipt is held until this client has its next message (a long poll). */
  private send(message: OutgoingMessage, waitMs?: number): Promise<Reply> {
    const path = `${this.base}/${message.path}${waitMs === undefined ? "" : `?waitMs=${waitMs}`}`;
    return message.method === "PUT"
      ? call("PUT", path, { token: this.token, bytes: message.bytes })
      : call("POST", path, { token: this.token, json: message.json });
  }

  async advertise(config: RoundConfig, waitMs?: number): Promise<Reply> {
    return this.send(await this.session.advertiseKeys(config), waitMs);
  }

  /** The server's current message for this client. */
  message() {
    return expectStatus(200, "GET", `${this.base}/message`, { token: this.token });
  }

  async shareKeys(): Promise<Reply> {
    return this.send(await this.session.shareKeys(await this.message()));
  }

  /**
   * Encodes the contribution (weight 1, seeded rounding) and sends the masked vector; a crafted
   * input is masked as it is, as a client that bypasses the SDK's encoding would send it.
   */
  async maskedInput(contribution: Float64Array | CraftedInput, seed: number): Promise<Reply> {
    const config = this.state!.config;
    this.encoded =
      contribution instanceof Float64Array
        ? encode(contribution, 1, config, seededEncodingRandom(seed)).vector
        : contribution.crafted(config);
    const message = await this.session.maskedInput(await this.message(), this.encoded);
    if (message.method === "PUT") this.maskedBytes = message.bytes.slice();
    return this.send(message);
  }

  /** Signs the survivor set the Round announced. */
  async consistencyCheck(): Promise<Reply> {
    return this.send(await this.session.consistencyCheck(await this.message()));
  }

  /**
   * Answers the unmask request; `tamper` rewrites the response first (a malicious client). The
   * stage closes as soon as every secret has t shares, so a client asked after that sends nothing:
   * its reply is then the round's message (a 200 whose body is at stage `done`, or `aborted` when
   * the shares it held failed to rebuild a secret).
   */
  async unmask(tamper?: (response: UnmaskResponse) => UnmaskResponse): Promise<Reply> {
    const request = await this.message();
    if (request.stage === "done" || request.stage === "aborted")
      return { status: 200, headers: new Headers(), body: request };
    const message = await this.session.unmask(request);
    if (!tamper || message.stage !== "unmask") return this.send(message);
    return this.send({ ...message, json: tamper(message.json as UnmaskResponse) });
  }
}
