// A Node-side client of a running edge worker (wrangler dev): tenants, federations and one full
// secure round over real HTTP, using the same core/secagg client state machine as the SDK.
import {
  type ClientState,
  clientMaskInput,
  clientShareKeys,
  clientUnmask,
  encode,
  startClient,
} from "../../core/secagg/index.ts";
import type { ClientEnrolment } from "../../core/wire/clients.ts";
import type { Federation } from "../../core/wire/federation.ts";
import type { RoundSummary } from "../../core/wire/rounds.ts";
import type { CreatedTenant } from "../../core/wire/tenants.ts";
import { federationConfig } from "../worker/support/federation-config.ts";

export class EdgeClient {
  readonly origin: string;
  constructor(origin: string) {
    this.origin = origin;
  }

  async request<T>(method: string, path: string, token?: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    let payload: BodyInit | undefined;
    if (body instanceof Uint8Array) {
      headers["content-type"] = "application/octet-stream";
      payload = body.slice();
    } else if (body !== undefined) {
      headers["content-type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const response = await fetch(`${this.origin}${path}`, { method, headers, body: payload });
    const json: unknown = await response.json();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json as T;
  }

  /** Creates a tenant and a federation with `clients` enrolled clients. */
  async setUp(operatorToken: string, clients: number) {
    const tenant = await this.request<CreatedTenant>("POST", "/v1/tenants", operatorToken, {
      name: "browser tenant",
    });
    const owner = tenant.ownerToken.token;
    const federation = await this.request<Federation>("POST", "/v1/federations", owner, federationConfig());
    const enrolled: { clientId: string; token: string }[] = [];
    for (let i = 0; i < clients; i++) {
      const e = await this.request<ClientEnrolment>(
        "POST",
        `/v1/federations/${federation.id}/clients`,
        owner,
        {},
      );
      enrolled.push({ clientId: e.client.id, token: e.token });
    }
    return { owner, federationId: federation.id, clients: enrolled };
  }

  /** Runs one round in which every cohort client contributes a distinct vector. */
  async runRound(owner: string, federationId: string, clients: { clientId: string; token: string }[]) {
    const round = await this.request<RoundSummary>("POST", `/v1/federations/${federationId}/rounds`, owner);
    const base = `/v1/federations/${federationId}/rounds/${round.round}`;
    const cohort = clients.filter((c) => round.cohort.includes(c.clientId));
    const states = new Map<string, ClientState>();
    for (const c of cohort) {
      const started = await startClient(round.secureAggregation, c.clientId);
      if (!started.ok) throw new Error(started.message);
      states.set(c.clientId, started.state);
      await this.request("POST", `${base}/advertise-keys`, c.token, started.message);
    }
    for (const c of cohort) {
      const next = await clientShareKeys(
        states.get(c.clientId)!,
        await this.request<never>("GET", `${base}/message`, c.token),
      );
      if (!next.ok) throw new Error(next.message);
      states.set(c.clientId, next.state);
      await this.request("POST", `${base}/share-keys`, c.token, next.message);
    }
    for (const [i, c] of cohort.entries()) {
      const length = round.secureAggregation.vectorLength;
      const contribution = Float64Array.from({ length }, (_, j) => (j === 0 ? 1 : i + j / 10));
      const encoded = encode(contribution, 1, round.secureAggregation).vector;
      const next = await clientMaskInput(
        states.get(c.clientId)!,
        await this.request<never>("GET", `${base}/message`, c.token),
        encoded,
      );
      if (!next.ok) throw new Error(next.message);
      states.set(c.clientId, next.state);
      const v = next.message.vector;
      await this.request(
        "PUT",
        `${base}/masked-input`,
        c.token,
        new Uint8Array(v.buffer, v.byteOffset, v.byteLength),
      );
    }
    for (const c of cohort) {
      const next = await clientUnmask(
        states.get(c.clientId)!,
        await this.request<never>("GET", `${base}/message`, c.token),
      );
      if (!next.ok) throw new Error(next.message);
      await this.request("POST", `${base}/unmask`, c.token, next.message);
    }
    return this.request<RoundSummary>("GET", base, owner);
  }
}
