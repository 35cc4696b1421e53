// The one error shape of the HTTP API: stable codes, their HTTP statuses, and the envelope schema.
import * as z from "zod";

/** Every error code the API returns, with its HTTP status. Codes are stable: clients branch on them. */
export const API_ERRORS = {
  invalid_json: 400,
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  wrong_stage: 409,
  wrong_round: 409,
  round_full: 409,
  conflicting_resubmission: 409,
  too_few_survivors: 409,
  not_done: 409,
  privacy_budget_exhausted: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_config: 422,
  invalid_tags: 422,
  invalid_cohort: 422,
  invalid_message: 422,
  invalid_vector: 422,
  invalid_share: 422,
  protocol_violation: 422,
  reconstruction_failed: 422,
  implausible_total: 422,
  unknown_client: 403,
  quota_exceeded: 429,
  rate_limited: 429,
  internal: 500,
} as const satisfies Record<string, number>;

export type ApiErrorCode = keyof typeof API_ERRORS;

export const apiErrorCodeSchema = z.enum(Object.keys(API_ERRORS) as [ApiErrorCode, ...ApiErrorCode[]]);

export const errorEnvelopeSchema = z
  .object({
    error: z.object({
      code: apiErrorCodeSchema,
      message: z.string(),
    }),
  })
  .meta({ id: "Error", description: "Every failure: a stable code and a message for people." });

export type ErrorEnvelope = z.infer<typeof errorEnvelopeSchema>;

/** A failed operation as Durable Object methods return it (RPC drops custom error fields). */
export interface Failure {
  ok: false;
  code: ApiErrorCode;
  message: string;
}

/** What every Durable Object method returns: a value, or a failure with a stable code. */
export type Result<T> = { ok: true; value: T } | Failure;

export function failure(code: ApiErrorCode, message: string): Failure {
  return { ok: false, code, message };
}

export function success<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function isApiErrorCode(code: string): code is ApiErrorCode {
  return Object.hasOwn(API_ERRORS, code);
}
