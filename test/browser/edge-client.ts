// A Node-side owner of a running edge worker (wrangler dev): tenants, federations, enrolments, and
// one full secure round over real HTTP whose clients send the SDK's secure-aggregation messages.

import { encodeForRound } from "../../client-sdk/src/round/private-encoding.ts";
import {
  type OutgoingMessage,
  roundPath,
  SecureAggregationSession,
} from "../../client-sdk/src/round/secure-aggregation.ts";
import type { EvaluationSet } from "../../core/data/evaluations.ts";
import { decodeModelFile, type ModelFile } from "../../core/model-file.ts";
import { seededRandom } from "../../core/random.ts";
import { stateOf } from "../../core/routers/registry.ts";
import type { ClientEnrolment } from "../../core/wire/clients.ts";
import type { Federation, FederationConfigInput } from "../../core/wire/federation.ts";
import type { ModelPointer } from "../../core/wire/models.ts";
import type { RoundSummary } from "../../core/wire/rounds.ts";
import type { CreatedTenant } from "../../core/wire/tenants.ts";

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

  /** Creates a tenant and a federation of `config` with `clients` enrolled clients. */
  async setUp(operatorToken: string, clients: number, config: FederationConfigInput) {
    const tenant = await this.request<CreatedTenant>("POST", "/v1/tenants", operatorToken, {
      name: "browser tenant",
    });
    const owner = tenant.ownerToken.token;
    const federation = await this.request<Federation>("POST", "/v1/federations", owner, config);
    const enrolled: { clientId: string; token: string; modelPublicKey: string }[] = [];
    for (let i = 0; i < clients; i++) {
      const e = await this.request<ClientEnrolment>(
        "POST",
        `/v1/federations/${federation.id}/clients`,
        owner,
        {},
      );
      enrolled.push({ clientId: e.client.id, token: e.token, modelPublicKey: e.modelPublicKey });
    }
    return { owner, federationId: federation.id, clients: enrolled };
  }

  /** Sends one secure-aggregation message of a client (built by the SDK's session). */
  send(base: string, token: string, message: OutgoingMessage) {
    return message.method === "PUT"
      ? this.request("PUT", `${base}/${message.path}`, token, message.bytes)
      : this.request("POST", `${base}/${message.path}`, token, message.json);
  }

  /** The federation's latest published model, as a client downloads it. */
  async latestModel(federationId: string, token: string): Promise<ModelFile> {
    const path = `/v1/federations/${federationId}/models/latest`;
    const pointer = await this.request<ModelPointer>("GET", path, token);
    const response = await fetch(`${this.origin}${pointer.url}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (!response.ok) throw new Error(`GET ${pointer.url}: ${response.status} ${await response.text()}`);
    return decodeModelFile(new Uint8Array(await response.arrayBuffer()));
  }

  /**
   * Runs one round in which every cohort client contributes the sums of its evaluations
   * (`sets[i]` belongs to `clients[i]`) to the latest model, as the model's router kind computes
   * them. Kinds that train a network locally need the SDK's compute instead (participate()).
   */
  async runRound(
    owner: string,
    federationId: string,
    clients: { clientId: string; token: string }[],
    sets: readonly EvaluationSet[],
  ) {
    if (sets.length !== clients.length)
      throw new RangeError(`${sets.length} evaluation sets for ${clients.length} clients`);
    const file = await this.latestModel(federationId, owner);
    const { kind, state } = stateOf(file);
    const algorithm = kind.algorithm();
    const round = await this.request<RoundSummary>("POST", `/v1/federations/${federationId}/rounds`, owner);
    const base = roundPath(federationId, round.round);
    const cohort = clients
      .map((c, i) => ({ ...c, set: sets[i]!, session: new SecureAggregationSession(c.clientId) }))
      .filter((c) => round.cohort.includes(c.clientId));
    const message = <T>(token: string) => this.request<T>("GET", `${base}/message`, token);
    for (const c of cohort)
      await this.send(base, c.token, await c.session.advertiseKeys(round.secureAggregation));
    for (const c of cohort) await this.send(base, c.token, await c.session.shareKeys(await message(c.token)));
    for (const [i, c] of cohort.entries()) {
      const contribution = await algorithm.contribute(state, c.set, seededRandom(i));
      // As participate() encodes it: with the round's privacy block, clipped and noised.
      const encoded = encodeForRound(file, contribution, round.secureAggregation, round.privacy).vector;
      await this.send(base, c.token, await c.session.maskedInput(await message(c.token), encoded));
    }
    for (const c of cohort)
      await this.send(base, c.token, await c.session.consistencyCheck(await message(c.token)));
    for (const c of cohort) {
      // The stage closes as soon as it holds t shares of every secret: the rest need not answer.
      if ((await this.request<RoundSummary>("GET", base, owner)).stage !== "unmask") break;
      await this.send(base, c.token, await c.session.unmask(await message(c.token)));
    }
    return this.request<RoundSummary>("GET", base, owner);
  }
}
