// What the main job does as the operator and as the demo tenant's owner, over HTTP: create the
// tenant and the federations, enrol the organisations, open rounds with a chosen cohort.

import { decodeModelFile, type ModelFile } from "../core/model-file.ts";
import type { ClientEnrolment } from "../core/wire/clients.ts";
import type { ErrorEnvelope } from "../core/wire/errors.ts";
import type { Federation, FederationConfigInput } from "../core/wire/federation.ts";
import type { ModelPointer } from "../core/wire/models.ts";
import type { RoundSummary } from "../core/wire/rounds.ts";
import type { CreatedTenant } from "../core/wire/tenants.ts";

/** The edge refused a request (with its error code) or did not answer in time. */
export class EdgeRequestError extends Error {
  override name = "EdgeRequestError";
  readonly status: number | undefined;
  readonly code: string | undefined;
  constructor(message: string, status?: number, code?: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

const REQUEST_TIMEOUT_MS = 30_000;

async function request<T>(edgeUrl: string, method: string, path: string, token: string, body?: unknown) {
  let response: Response;
  try {
    response = await fetch(`${edgeUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    throw new EdgeRequestError(`${method} ${path}: ${(error as Error).message}`);
  }
  if (response.ok && response.headers.get("content-type")?.includes("octet-stream"))
    return new Uint8Array(await response.arrayBuffer()) as T;
  const text = await response.text();
  if (!response.ok) {
    let envelope: Partial<ErrorEnvelope> = {};
    try {
      envelope = JSON.parse(text) as ErrorEnvelope;
    } catch {}
    const code = envelope.error?.code;
    const message = envelope.error?.message ?? text.slice(0, 200);
    throw new EdgeRequestError(
      `${method} ${path}: ${response.status} ${code ?? ""} ${message}`.trim(),
      response.status,
      code,
    );
  }
  return JSON.parse(text) as T;
}

export interface Owner {
  edgeUrl: string;
  tenantId: string;
  token: string;
}

/** The operator creates the demo tenant; its owner token is what the rest of the job uses. */
export async function createTenant(
  edgeUrl: string,
  operatorToken: string,
  name: string,
  updatesPerDay: number,
): Promise<Owner> {
  const created = await request<CreatedTenant>(edgeUrl, "POST", "/v1/tenants", operatorToken, {
    name,
    quota: { updatesPerDay },
  });
  return { edgeUrl, tenantId: created.tenant.id, token: created.ownerToken.token };
}

export function createFederation(owner: Owner, config: FederationConfigInput): Promise<Federation> {
  return request<Federation>(owner.edgeUrl, "POST", "/v1/federations", owner.token, config);
}

export function enrolClient(owner: Owner, federationId: string, label: string): Promise<ClientEnrolment> {
  return request<ClientEnrolment>(
    owner.edgeUrl,
    "POST",
    `/v1/federations/${federationId}/clients`,
    owner.token,
    { label },
  );
}

/** Opens the next round with exactly these clients. */
export function openRound(owner: Owner, federationId: string, cohort: string[]): Promise<RoundSummary> {
  return request<RoundSummary>(owner.edgeUrl, "POST", `/v1/federations/${federationId}/rounds`, owner.token, {
    cohort,
  });
}

export function getRound(owner: Owner, federationId: string, round: number): Promise<RoundSummary> {
  return request<RoundSummary>(
    owner.edgeUrl,
    "GET",
    `/v1/federations/${federationId}/rounds/${round}`,
    owner.token,
  );
}

/** The federation's latest published model, as the owner reads it. */
export async function latestModel(
  owner: Owner,
  federationId: string,
): Promise<{ pointer: ModelPointer; file: ModelFile }> {
  const pointer = await request<ModelPointer>(
    owner.edgeUrl,
    "GET",
    `/v1/federations/${federationId}/models/latest`,
    owner.token,
  );
  const bytes = await request<Uint8Array>(owner.edgeUrl, "GET", pointer.url, owner.token);
  return { pointer, file: decodeModelFile(bytes) };
}
