// The one error class and the one renderer: every failure leaves the worker as
// { "error": { "code", "message" } } with the status its code stands for.
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { API_ERRORS, type ApiErrorCode, type Result } from "../core/wire/errors.ts";

export class ApiError extends HTTPException {
  readonly code: ApiErrorCode;
  constructor(code: ApiErrorCode, message: string) {
    super(API_ERRORS[code] as ContentfulStatusCode, { message });
    this.code = code;
  }
}

export function errorResponse(c: Context, code: ApiErrorCode, message: string): Response {
  return c.json({ error: { code, message } }, API_ERRORS[code] as ContentfulStatusCode);
}

/** The value of a Durable Object result, or the ApiError its failure stands for. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw new ApiError(result.code, result.message);
}

/** Renders anything thrown in a handler; unknown errors become a 500 without internals. */
export function renderError(error: Error, c: Context): Response {
  if (error instanceof ApiError) return errorResponse(c, error.code, error.message);
  if (error instanceof HTTPException) {
    const status = error.status;
    if (status === 400) return errorResponse(c, "invalid_json", error.message || "malformed request body");
    if (status === 401) return errorResponse(c, "unauthorized", error.message || "unauthorized");
    if (status === 413) return errorResponse(c, "payload_too_large", "request body is too large");
    if (status === 415) return errorResponse(c, "unsupported_media_type", error.message);
    if (status === 404) return errorResponse(c, "not_found", error.message || "not found");
    if (status < 500) return errorResponse(c, "invalid_request", error.message || "bad request");
  }
  console.error("unhandled error", error);
  return errorResponse(c, "internal", "internal error");
}
