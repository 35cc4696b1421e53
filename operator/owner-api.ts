// The edge's API as its operator and a tenant's owner use it, over HTTP: create tenants,
// federations and enrolments, open and follow rounds, read usage and models. The main job
// (demo/) and the operator CLI (operator/cli.ts) both go through it.

import { decodeModelFile, type ModelFile } from "../core/model-file.ts";
import type { ClientEnrolment, EnrolledClient } from "../core/wire/clients.ts";
import type { ErrorEnvelope } from "../core/wire/errors.ts";
import type { Federation, FederationConfigInput } from "../core/wire/federation.ts";
import type { ModelPointer, ModelVersion } from "../core/wire/models.ts";
import type { RoundSummary } from "../core/wire/rounds.ts";
import type { CreatedTenant, Tenant } from "../core/wire/tenants.ts";

/** The edge refused a request (with its error code and message) or did not answer in time. */
export class EdgeRequestError extends Error {
  override name = "EdgeRequestError";
  readonly status: number | undefined;
  readonly code: string | undefined;
  /** The edge's own message (the envelope's), without the request line. */
  readonly edgeMessage: string;
  constructor(message: string, status?: number, code?: string, edgeMessage = message) {
    super(message);
    this.status = status;
    this.code = code;
    this.edgeMessage = edgeMessage;
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
    const reason = (error as Error & { cause?: Error }).cause?.message ?? (error as Error).message;
    throw new EdgeRequestError(`${method} ${path}: ${reason}`, undefined, undefined, `${edgeUrl}: ${reason}`);
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
      message,
    );
  }
  return JSON.parse(text) as T;
}

/** Who calls: the edge's URL and a bearer token (an owner's; the operator's for tenants). */
export interface Owner {
  edgeUrl: string;
  token: string;
}

const federationPath = (federationId: string) => `/v1/federations/${encodeURIComponent(federationId)}`;

/** The operator creates a tenant; its owner token (shown once) is what the owner uses from then on. */
export async function createTenant(
  edgeUrl: string,
  operatorToken: string,
  name: string,
  updatesPerDay: number,
): Promise<Owner & { tenantId: string; created: CreatedTenant }> {
  const created = await request<CreatedTenant>(edgeUrl, "POST", "/v1/tenants", operatorToken, {
    name,
    quota: { updatesPerDay },
  });
  return { edgeUrl, tenantId: created.tenant.id, token: created.ownerToken.token, created };
}

export function describeTenant(owner: Owner): Promise<Tenant> {
  return request<Tenant>(owner.edgeUrl, "GET", "/v1/tenant", owner.token);
}

export function createFederation(owner: Owner, config: FederationConfigInput): Promise<Federation> {
  return request<Federation>(owner.edgeUrl, "POST", "/v1/federations", owner.token, config);
}

export function listFederations(owner: Owner): Promise<Federation[]> {
  return request<Federation[]>(owner.edgeUrl, "GET", "/v1/federations", owner.token);
}

export function describeFederation(owner: Owner, federationId: string): Promise<Federation> {
  return request<Federation>(owner.edgeUrl, "GET", federationPath(federationId), owner.token);
}

/** Pauses (no round opens until resumed) or resumes a federation; the edge answers its view. */
export function setPaused(owner: Owner, federationId: string, paused: boolean): Promise<Federation> {
  const action = paused ? "pause" : "resume";
  return request<Federation>(owner.edgeUrl, "POST", `${federationPath(federationId)}/${action}`, owner.token);
}

export function enrolClient(owner: Owner, federationId: string, label?: string): Promise<ClientEnrolment> {
  return request<ClientEnrolment>(
    owner.edgeUrl,
    "POST",
    `${federationPath(federationId)}/clients`,
    owner.token,
    label === undefined ? {} : { label },
  );
}

/** Enrols up to 1000 clients in one request (one transaction at the edge), in the labels' order. */
export async function enrolClients(
  owner: Owner,
  federationId: string,
  labels: readonly (string | undefined)[],
): Promise<ClientEnrolment[]> {
  const { enrolments } = await request<{ enrolments: ClientEnrolment[] }>(
    owner.edgeUrl,
    "POST",
    `${federationPath(federationId)}/clients/batch`,
    owner.token,
    { clients: labels.map((label) => (label === undefined ? {} : { label })) },
  );
  return enrolments;
}

export function listClients(owner: Owner, federationId: string): Promise<EnrolledClient[]> {
  return request<EnrolledClient[]>(
    owner.edgeUrl,
    "GET",
    `${federationPath(federationId)}/clients`,
    owner.token,
  );
}

export function revokeClient(
  owner: Owner,
  federationId: string,
  clientId: string,
): Promise<{ clientId: string; revokedAt: string }> {
  return request<{ clientId: string; revokedAt: string }>(
    owner.edgeUrl,
    "DELETE",
    `${federationPath(federationId)}/clients/${encodeURIComponent(clientId)}`,
    owner.token,
  );
}

/** Opens the next round: with exactly these clients, or a cohort the edge samples. */
export function openRound(owner: Owner, federationId: string, cohort?: string[]): Promise<RoundSummary> {
  return request<RoundSummary>(
    owner.edgeUrl,
    "POST",
    `${federationPath(federationId)}/rounds`,
    owner.token,
    cohort === undefined ? undefined : { cohort },
  );
}

export function listRounds(owner: Owner, federationId: string): Promise<RoundSummary[]> {
  return request<RoundSummary[]>(owner.edgeUrl, "GET", `${federationPath(federationId)}/rounds`, owner.token);
}

/** A round by number, or the one in progress (`"current"`; 404 not_found when none is). */
export function getRound(
  owner: Owner,
  federationId: string,
  round: number | "current",
): Promise<RoundSummary> {
  return request<RoundSummary>(
    owner.edgeUrl,
    "GET",
    `${federationPath(federationId)}/rounds/${round}`,
    owner.token,
  );
}

export function listVersions(owner: Owner, federationId: string): Promise<ModelVersion[]> {
  return request<ModelVersion[]>(owner.edgeUrl, "GET", `${federationPath(federationId)}/models`, owner.token);
}

/** The latest version's pointer (version, SHA-256, signature, where its bytes are). */
export function latestPointer(owner: Owner, federationId: string): Promise<ModelPointer> {
  return request<ModelPointer>(
    owner.edgeUrl,
    "GET",
    `${federationPath(federationId)}/models/latest`,
    owner.token,
  );
}

/** A version's model file as the edge serves it. */
export function modelBytes(owner: Owner, federationId: string, version: number): Promise<Uint8Array> {
  return request<Uint8Array>(
    owner.edgeUrl,
    "GET",
    `${federationPath(federationId)}/models/${version}`,
    owner.token,
  );
}

/** The federation's latest published model, as the owner reads it. */
export async function latestModel(
  owner: Owner,
  federationId: string,
): Promise<{ pointer: ModelPointer; file: ModelFile }> {
  const pointer = await latestPointer(owner, federationId);
  const bytes = await request<Uint8Array>(owner.edgeUrl, "GET", pointer.url, owner.token);
  return { pointer, file: decodeModelFile(bytes) };
}
