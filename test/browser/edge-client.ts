// A Node-side owner of a running edge worker (wrangler dev): tenants, federations, enrolments, and
// one full secure round over real HTTP whose clients send the SDK's secure-aggregation messages.
import {
  type OutgoingMessage,
  roundPath,
  SecureAggregationSession,
} from "../../client-sdk/src/round/secure-aggregation.ts";
import { encode } from "../../core/secagg/index.ts";
import type { ClientEnrolment } from "../../core/wire/clients.ts";
import type { Federation, FederationConfigInput } from "../../core/wire/federation.ts";
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

  /** Creates a tenant and a federation (default: the edge tests' "mean" one) with `clients` enrolled clients. */
  async setUp(operatorToken: string, clients: number, config: FederationConfigInput = federationConfig()) {
    const tenant = await this.request<CreatedTenant>("POST", "/v1/tenants", operatorToken, {
      name: "browser tenant",
    });
    const owner = tenant.ownerToken.token;
    const federation = await this.request<Federation>("POST", "/v1/federations", owner, config);
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

  /** Sends one secure-aggregation message of a client (built by the SDK's session). */
  send(base: string, token: string, message: OutgoingMessage) {
    return message.method === "PUT"
      ? this.request("PUT", `${base}/${message.path}`, token, message.bytes)
      : this.request("POST", `${base}/${message.path}`, token, message.json);
  }

  /** Runs one round in which every cohort client contributes a distinct vector. */
  async runRound(owner: string, federationId: string, clients: { clientId: string; token: string }[]) {
    const round = await this.request<RoundSummary>("POST", `/v1/federations/${federationId}/rounds`, owner);
    const base = roundPath(federationId, round.round);
    const cohort = clients
      .filter((c) => round.cohort.includes(c.clientId))
      .map((c) => ({ ...c, session: new SecureAggregationSession(c.clientId) }));
    const message = <T>(token: string) => this.request<T>("GET", `${base}/message`, token);
    for (const c of cohort)
      await this.send(base, c.token, await c.session.advertiseKeys(round.secureAggregation));
    for (const c of cohort) await this.send(base, c.token, await c.session.shareKeys(await message(c.token)));
    for (const [i, c] of cohort.entries()) {
      const length = round.secureAggregation.vectorLength;
      const contribution = Float64Array.from({ length }, (_, j) => (j === 0 ? 1 : i + j / 10));
      const encoded = encode(contribution, 1, round.secureAggregation).vector;
      await this.send(base, c.token, await c.session.maskedInput(await message(c.token), encoded));
    }
    for (const c of cohort) await this.send(base, c.token, await c.session.unmask(await message(c.token)));
    return this.request<RoundSummary>("GET", base, owner);
  }
}
