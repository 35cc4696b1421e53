// A federation client driven over HTTP: the secure-aggregation client state machine of core/secagg,
// one method per stage, so tests can stop any client at any stage (a dropout).

import { call, expectStatus, type Reply } from "./api.ts";
import {
  type ClientState,
  clientMaskInput,
  clientShareKeys,
  clientUnmask,
  encode,
  type RoundConfig,
  seededEncodingRandom,
  startClient,
} from "./secagg.ts";

export class SimClient {
  readonly clientId: string;
  readonly token: string;
  private readonly base: string;
  state: ClientState | undefined;
  /** The encoded vector this client sent (for the plain reference sum). */
  encoded: Uint32Array | undefined;
  /** The masked bytes this client sent (to replay them). */
  maskedBytes: Uint8Array | undefined;

  constructor(federationId: string, round: number, client: { clientId: string; token: string }) {
    this.clientId = client.clientId;
    this.token = client.token;
    this.base = `/v1/federations/${federationId}/rounds/${round}`;
  }

  async advertise(config: RoundConfig): Promise<Reply> {
    const started = await startClient(config, this.clientId);
    if (!started.ok) throw new Error(started.message);
    this.state = started.state;
    return call("POST", `${this.base}/advertise-keys`, { token: this.token, json: started.message });
  }

  /** The server's current message for this client. */
  message() {
    return expectStatus(200, "GET", `${this.base}/message`, { token: this.token });
  }

  async shareKeys(): Promise<Reply> {
    const next = await clientShareKeys(this.state!, await this.message());
    if (!next.ok) throw new Error(`share keys: ${next.message}`);
    this.state = next.state;
    return call("POST", `${this.base}/share-keys`, { token: this.token, json: next.message });
  }

  /** Encodes the contribution (weight 1, seeded rounding) and sends the masked vector. */
  async maskedInput(contribution: Float64Array, seed: number): Promise<Reply> {
    const config = this.state!.config;
    this.encoded = encode(contribution, 1, config, seededEncodingRandom(seed)).vector;
    const next = await clientMaskInput(this.state!, await this.message(), this.encoded);
    if (!next.ok) throw new Error(`masked input: ${next.message}`);
    this.state = next.state;
    const vector = next.message.vector;
    this.maskedBytes = new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength).slice();
    return call("PUT", `${this.base}/masked-input`, { token: this.token, bytes: this.maskedBytes });
  }

  async unmask(): Promise<Reply> {
    const next = await clientUnmask(this.state!, await this.message());
    if (!next.ok) throw new Error(`unmask: ${next.message}`);
    this.state = next.state;
    return call("POST", `${this.base}/unmask`, { token: this.token, json: next.message });
  }
}
