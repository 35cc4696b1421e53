// Test helpers that talk to the worker through its HTTP API inside workerd, as an SDK would.
import { exports } from "cloudflare:workers";
import type { FederationConfigInput } from "../../../core/wire/federation.ts";
import { registerMeanKind } from "../../support/mean-kind.ts";
import { federationConfig } from "./federation-config.ts";

export { federationConfig };

// The tests' toy router kind "mean", registered through the registry like any new kind. The Durable
// Objects run in this test's isolate and share its module graph, so the edge finds the kind too;
// every worker test imports this file, so every one can create "mean" federations.
registerMeanKind();

export const OPERATOR = "test-operator-token";
const ORIGIN = "http://edge.test";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are inspected loosely in tests
type Loose = any;

export interface Reply<T = Loose> {
  status: number;
  headers: Headers;
  body: T;
}

export interface RequestOptions {
  token?: string;
  json?: unknown;
  bytes?: Uint8Array;
  headers?: Record<string, string>;
}

/** The body size of the last request sent with one (a test measures what a message brings). */
export const lastRequestBody = { bytes: 0 };

export async function call<T = Loose>(
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<Reply<T>> {
  const headers = new Headers(options.headers);
  if (options.token !== undefined) headers.set("authorization", `Bearer ${options.token}`);
  let body: BodyInit | undefined;
  if (options.json !== undefined) {
    headers.set("content-type", "application/json");
    body = JSON.stringify(options.json);
  } else if (options.bytes) {
    if (!headers.has("content-type")) headers.set("content-type", "application/octet-stream");
    body = options.bytes;
  }
  if (typeof body === "string") lastRequestBody.bytes = new TextEncoder().encode(body).length;
  else if (body) lastRequestBody.bytes = (body as Uint8Array).byteLength;
  const response = await exports.default.fetch(`${ORIGIN}${path}`, { method, headers, body });
  const type = response.headers.get("content-type") ?? "";
  const parsed = type.includes("application/json")
    ? await response.json()
    : type.includes("octet-stream")
      ? new Uint8Array(await response.arrayBuffer())
      : await response.text();
  return { status: response.status, headers: response.headers, body: parsed as T };
}

/** Fails the test with the response when the status is not the expected one. */
export async function expectStatus<T = Loose>(
  status: number,
  method: string,
  path: string,
  options?: RequestOptions,
): Promise<T> {
  const reply = await call<T>(method, path, options);
  if (reply.status !== status)
    throw new Error(
      `${method} ${path}: expected ${status}, got ${reply.status} ${JSON.stringify(reply.body)}`,
    );
  return reply.body;
}

export interface TenantHandle {
  tenantId: string;
  ownerToken: string;
}

export async function createTenant(name = "acme", updatesPerDay = 10_000): Promise<TenantHandle> {
  const body = await expectStatus(201, "POST", "/v1/tenants", {
    token: OPERATOR,
    json: { name, quota: { updatesPerDay } },
  });
  return { tenantId: body.tenant.id, ownerToken: body.ownerToken.token };
}

export interface FederationHandle extends TenantHandle {
  federationId: string;
  clients: { clientId: string; token: string }[];
}

export async function createFederation(
  tenant: TenantHandle,
  clientCount: number,
  overrides: Partial<FederationConfigInput> = {},
): Promise<FederationHandle> {
  const federation = await expectStatus(201, "POST", "/v1/federations", {
    token: tenant.ownerToken,
    json: federationConfig(overrides),
  });
  // One batch: the clients' tokens in one request rather than one request each.
  const { enrolments } =
    clientCount === 0
      ? { enrolments: [] }
      : await expectStatus(201, "POST", `/v1/federations/${federation.id}/clients/batch`, {
          token: tenant.ownerToken,
          json: { clients: Array.from({ length: clientCount }, (_, i) => ({ label: `hospital ${i + 1}` })) },
        });
  const clients = (enrolments as { client: { id: string }; token: string }[]).map((e) => ({
    clientId: e.client.id,
    token: e.token,
  }));
  return { ...tenant, federationId: federation.id, clients };
}
