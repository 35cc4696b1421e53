// Shared pieces of route definitions: JSON bodies, documented responses, body-size limits.
import { OpenAPIHono, type z } from "@hono/zod-openapi";
import { bodyLimit } from "hono/body-limit";
import { z as zod } from "zod";
import { errorEnvelopeSchema } from "../core/wire/errors.ts";
import { FIELD_ERROR_CODES } from "../core/wire/federation.ts";
import type { AppEnv } from "./env.ts";
import { ApiError, errorResponse } from "./errors.ts";

/** The code of a body refused only for one field that has its own code (FIELD_ERROR_CODES). */
function fieldCode(target: string, error: zod.ZodError) {
  if (target !== "json") return undefined;
  const fields = new Set(error.issues.map((issue) => issue.path[0]));
  const [field] = fields;
  return fields.size === 1 && typeof field === "string" && Object.hasOwn(FIELD_ERROR_CODES, field)
    ? FIELD_ERROR_CODES[field as keyof typeof FIELD_ERROR_CODES]
    : undefined;
}

/**
 * A router whose validation failures all render as the envelope with code invalid_request, or a
 * field's own code when that field alone is wrong.
 */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success)
        return errorResponse(
          c,
          fieldCode(result.target, result.error) ?? "invalid_request",
          `${result.target}: ${zod.prettifyError(result.error)}`,
        );
    },
  });
}

export const KiB = 1024;
export const MiB = 1024 * 1024;

/** Refuses bodies over `bytes` with 413 before they are read. */
export function limit(bytes: number) {
  return bodyLimit({
    maxSize: bytes,
    onError: () => {
      throw new ApiError("payload_too_large", `request body exceeds ${bytes} bytes`);
    },
  });
}

export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return {
    body: { required: true, description, content: { "application/json": { schema } } },
  } as const;
}

export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } } as const;
}

const failureResponse = (description: string) => json(errorEnvelopeSchema, description);

/** Error responses every authenticated route can give (the envelope; codes in API_ERRORS). */
export const errorResponses = {
  400: failureResponse("Malformed JSON or a request that fails validation"),
  401: failureResponse("Missing, invalid or revoked token"),
  403: failureResponse("The token's role may not do this"),
  404: failureResponse("No such resource for this token"),
  409: failureResponse("Conflicts with the resource's state (e.g. wrong stage)"),
  413: failureResponse("Body too large"),
  422: failureResponse("Well-formed but unacceptable (configuration, protocol message)"),
  429: failureResponse("Tenant quota exceeded, or too many requests with this token (Retry-After)"),
} as const;

export const bearerSecurity = [{ bearer: [] }];
