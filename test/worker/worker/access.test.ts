import { describe, expect, it } from "vitest";
import {
  call,
  createFederation,
  createTenant,
  expectStatus,
  type FederationHandle,
  OPERATOR,
} from "../support/api.ts";
import { startRound } from "../support/rounds.ts";
import { startClient } from "../support/secagg.ts";

interface RouteCase {
  method: string;
  path: (f: FederationHandle) => string;
  owner: boolean;
  client: boolean;
  json?: (f: FederationHandle, clientId: string) => Promise<unknown> | unknown;
  bytes?: boolean;
}

/** Every route that names a federation, and which roles may use it. */
const ROUTES: RouteCase[] = [
  { method: "GET", path: (f) => `/v1/federations/${f.federationId}`, owner: true, client: true },
  { method: "GET", path: (f) => `/v1/federations/${f.federationId}/usage`, owner: true, client: false },
  {
    method: "POST",
    path: (f) => `/v1/federations/${f.federationId}/clients`,
    owner: true,
    client: false,
    json: () => ({}),
  },
  { method: "GET", path: (f) => `/v1/federations/${f.federationId}/clients`, owner: true, client: false },
  {
    method: "DELETE",
    path: (f) => `/v1/federations/${f.federationId}/clients/${f.clients[0]!.clientId}`,
    owner: true,
    client: false,
  },
  { method: "POST", path: (f) => `/v1/federations/${f.federationId}/rounds`, owner: true, client: false },
  { method: "GET", path: (f) => `/v1/federations/${f.federationId}/rounds`, owner: true, client: true },
  {
    method: "GET",
    path: (f) => `/v1/federations/${f.federationId}/rounds/current`,
    owner: true,
    client: true,
  },
  {
    method: "POST",
    path: (f) => `/v1/federations/${f.federationId}/rounds/current/abort`,
    owner: true,
    client: false,
  },
  { method: "GET", path: (f) => `/v1/federations/${f.federationId}/rounds/1`, owner: true, client: true },
  {
    method: "GET",
    path: (f) => `/v1/federations/${f.federationId}/rounds/1/message`,
    owner: false,
    client: true,
  },
  {
    method: "POST",
    path: (f) => `/v1/federations/${f.federationId}/rounds/1/advertise-keys`,
    owner: false,
    client: true,
    json: async (f, clientId) => {
      const round = await expectStatus(200, "GET", `/v1/federations/${f.federationId}/rounds/1`, {
        token: f.ownerToken,
      });
      const started = await startClient(round.secureAggregation, clientId);
      if (!started.ok) throw new Error(started.message);
      return started.message;
    },
  },
  {
    method: "POST",
    path: (f) => `/v1/federations/${f.federationId}/rounds/1/share-keys`,
    owner: false,
    client: true,
    json: (f, clientId) => ({
      type: "share_keys",
      stage: "share_keys",
      roundId: `${f.federationId}/1`,
      clientId,
      shares: [],
    }),
  },
  {
    method: "PUT",
    path: (f) => `/v1/federations/${f.federationId}/rounds/1/masked-input`,
    owner: false,
    client: true,
    bytes: true,
  },
  {
    method: "POST",
    path: (f) => `/v1/federations/${f.federationId}/rounds/1/consistency-check`,
    owner: false,
    client: true,
    json: (f, clientId) => ({
      type: "consistency_signature",
      stage: "consistency_check",
      roundId: `${f.federationId}/1`,
      clientId,
      signature: "AAAA",
    }),
  },
  {
    method: "POST",
    path: (f) => `/v1/federations/${f.federationId}/rounds/1/unmask`,
    owner: false,
    client: true,
    json: (f, clientId) => ({
      type: "unmask_response",
      stage: "unmask",
      roundId: `${f.federationId}/1`,
      clientId,
      selfMaskShares: [],
      maskKeyShares: [],
    }),
  },
  {
    method: "GET",
    path: (f) => `/v1/federations/${f.federationId}/models/latest`,
    owner: true,
    client: true,
  },
  { method: "GET", path: (f) => `/v1/federations/${f.federationId}/models`, owner: true, client: true },
  { method: "GET", path: (f) => `/v1/federations/${f.federationId}/models/0`, owner: true, client: true },
  {
    method: "POST",
    path: (f) => `/v1/federations/${f.federationId}/models/0/evaluations`,
    owner: false,
    client: true,
    json: () => ({ auc: 0.7, examples: 10 }),
  },
];

async function send(route: RouteCase, target: FederationHandle, token: string, clientId: string) {
  return call(route.method, route.path(target), {
    token,
    json: route.json ? await route.json(target, clientId) : undefined,
    bytes: route.bytes ? new Uint8Array(4 * 7) : undefined,
  });
}

/** What an observer with the rightful owner token sees of a federation. */
async function snapshot(f: FederationHandle) {
  const get = (path: string) =>
    expectStatus(200, "GET", `/v1/federations/${f.federationId}${path}`, { token: f.ownerToken });
  const federation = await get("");
  return {
    federation,
    clients: await get("/clients"),
    rounds: await get("/rounds"),
    versions: await get("/models"),
    usage: await get("/usage"),
  };
}

function expectEnvelope(reply: { status: number; body: unknown }, statuses: number[]) {
  expect(statuses).toContain(reply.status);
  expect(reply.body).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
}

describe("access control", () => {
  it("refuses every federation route to another tenant's owner and clients, and changes nothing", async () => {
    const victim = await createFederation(await createTenant("victim"), 5);
    const intruder = await createFederation(await createTenant("intruder"), 3);
    await startRound(victim);
    const before = await snapshot(victim);
    for (const route of ROUTES) {
      const asOwner = await send(route, victim, intruder.ownerToken, intruder.clients[0]!.clientId);
      expectEnvelope(asOwner, route.owner ? [404] : [403]);
      const asClient = await send(route, victim, intruder.clients[0]!.token, intruder.clients[0]!.clientId);
      expectEnvelope(asClient, route.client ? [404] : [403]);
      // A client token that claims the victim's client id but carries the intruder's secret.
      const forged = intruder.clients[0]!.token.replace(intruder.federationId, victim.federationId).replace(
        intruder.clients[0]!.clientId,
        victim.clients[1]!.clientId,
      );
      const asForged = await send(route, victim, forged, victim.clients[1]!.clientId);
      expectEnvelope(asForged, route.client ? [401] : [403]);
      const anonymous = await send(route, victim, "", victim.clients[1]!.clientId);
      expectEnvelope(anonymous, [401]);
    }
    // The overview of a federation counts models served, so compare it before reading again.
    expect(await snapshot(victim)).toEqual(before);
  });

  it("keeps each role to its own routes within a federation", async () => {
    const f = await createFederation(await createTenant(), 3);
    for (const route of ROUTES.filter((r) => !r.client)) {
      const reply = await send(route, f, f.clients[1]!.token, f.clients[1]!.clientId);
      expectEnvelope(reply, [403]);
    }
    expectEnvelope(await call("POST", "/v1/tenants", { token: f.ownerToken, json: { name: "x" } }), [401]);
    expectEnvelope(await call("GET", "/v1/tenant", { token: f.clients[0]!.token }), [403]);
    expectEnvelope(await call("GET", "/v1/tenant", { token: OPERATOR }), [401]);
  });

  it("refuses tenant routes that name another tenant's owner token", async () => {
    const victim = await createTenant("victim");
    const intruder = await createTenant("intruder");
    const victimTokenId = victim.ownerToken.split(".")[2]!;
    expectEnvelope(
      await call("DELETE", `/v1/tenant/owner-tokens/${victimTokenId}`, { token: intruder.ownerToken }),
      [404],
    );
    await expectStatus(200, "GET", "/v1/tenant", { token: victim.ownerToken });
    const intruderFederations = await expectStatus(200, "GET", "/v1/federations", {
      token: intruder.ownerToken,
    });
    expect(intruderFederations).toEqual([]);
  });

  it("stops accepting revoked owner and client tokens", async () => {
    const f = await createFederation(await createTenant(), 3);
    const second = await expectStatus(201, "POST", "/v1/tenant/owner-tokens", { token: f.ownerToken });
    await expectStatus(200, "GET", "/v1/tenant", { token: second.token });
    await expectStatus(200, "DELETE", `/v1/tenant/owner-tokens/${second.tokenId}`, { token: f.ownerToken });
    expectEnvelope(await call("GET", "/v1/tenant", { token: second.token }), [401]);
    const client = f.clients[2]!;
    await expectStatus(200, "GET", `/v1/federations/${f.federationId}/models/latest`, {
      token: client.token,
    });
    await expectStatus(200, "DELETE", `/v1/federations/${f.federationId}/clients/${client.clientId}`, {
      token: f.ownerToken,
    });
    expectEnvelope(
      await call("GET", `/v1/federations/${f.federationId}/models/latest`, { token: client.token }),
      [401],
    );
  });
});
