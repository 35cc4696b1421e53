// Published router models: the latest pointer (ETag, 304), immutable versions from KV, evaluations.
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { federationParamsSchema } from "../../core/wire/federation.ts";
import {
  etagMatches,
  etagOf,
  evaluationReportSchema,
  modelPointerSchema,
  modelVersionSchema,
  versionEvaluationSchema,
  versionParamsSchema,
} from "../../core/wire/models.ts";
import { member } from "../auth.ts";
import { ApiError, unwrap } from "../errors.ts";
import { pageHeaders, pageQuerySchema, pageRequest, pageResponse } from "../pagination.ts";
import { bearerSecurity, createRouter, errorResponses, json, jsonBody, KiB, limit } from "../route-kit.ts";

export const models = createRouter();
const anyMember = member(["owner", "client"]);

models.openapi(
  createRoute({
    method: "get",
    path: "/federations/{federationId}/models/latest",
    tags: ["models"],
    summary: "The latest version: number, sha256 and URL (ETag; 304 when unchanged)",
    security: bearerSecurity,
    middleware: [anyMember] as const,
    request: { params: federationParamsSchema },
    responses: {
      200: json(modelPointerSchema, "The latest pointer"),
      304: { description: "Unchanged since the ETag sent in If-None-Match" },
      ...errorResponses,
    },
  }),
  async (c) => {
    const { federationId } = c.req.valid("param");
    const pointer = unwrap(await c.env.FEDERATIONS.getByName(federationId).latestModel(c.var.caller));
    const etag = etagOf(pointer.sha256);
    c.header("ETag", etag);
    c.header("Cache-Control", "private, no-cache");
    if (etagMatches(c.req.header("if-none-match"), etag)) return c.body(null, 304);
    return c.json(pointer, 200);
  },
);

models.openapi(
  createRoute({
    method: "get",
    path: "/federations/{federationId}/models",
    tags: ["models"],
    summary: "Every published version the caller may read (or a page of them, oldest first)",
    security: bearerSecurity,
    middleware: [anyMember] as const,
    request: { params: federationParamsSchema, query: pageQuerySchema },
    responses: {
      200: { ...json(z.array(modelVersionSchema), "Versions"), headers: pageHeaders },
      ...errorResponses,
    },
  }),
  async (c) => {
    const query = c.req.valid("query");
    const stub = c.env.FEDERATIONS.getByName(c.req.valid("param").federationId);
    const page = unwrap(await stub.listVersions(c.var.caller, pageRequest(query)));
    return c.json(
      pageResponse(c, query, page, (v) => v.version),
      200,
    );
  },
);

models.openapi(
  createRoute({
    method: "get",
    path: "/federations/{federationId}/models/{version}",
    tags: ["models"],
    summary: "A version's router model file: immutable bytes, cacheable for a year",
    security: bearerSecurity,
    middleware: [anyMember] as const,
    request: { params: versionParamsSchema },
    responses: {
      200: {
        description: "The router model file",
        content: { "application/octet-stream": { schema: z.string().meta({ format: "binary" }) } },
      },
      304: { description: "Unchanged (the bytes of a version never change)" },
      ...errorResponses,
    },
  }),
  async (c) => {
    const { federationId, version } = c.req.valid("param");
    // The Federation decides 304 against If-None-Match, so the ledger counts only bytes sent.
    const found = unwrap(
      await c.env.FEDERATIONS.getByName(federationId).serveVersion(
        c.var.caller,
        version,
        c.req.header("if-none-match"),
      ),
    );
    c.header("ETag", etagOf(found.sha256));
    c.header("Cache-Control", "private, max-age=31536000, immutable");
    if (found.notModified) return c.body(null, 304);
    // The pointer named this version, so its key was written before: never a KV miss to cache.
    const bytes = await c.env.MODELS.get(found.key, "arrayBuffer");
    if (!bytes) throw new ApiError("internal", `model version ${version} is missing from the store`);
    c.header("Content-Type", "application/octet-stream");
    return c.body(bytes, 200);
  },
);

models.openapi(
  createRoute({
    method: "post",
    path: "/federations/{federationId}/models/{version}/evaluations",
    tags: ["models"],
    summary: "Report the validation AUC a client measured for a version (client token)",
    security: bearerSecurity,
    middleware: [limit(KiB), member(["client"])] as const,
    request: { params: versionParamsSchema, ...jsonBody(evaluationReportSchema) },
    responses: { 200: json(versionEvaluationSchema, "The version's mean AUC so far"), ...errorResponses },
  }),
  async (c) => {
    const { federationId, version } = c.req.valid("param");
    return c.json(
      unwrap(
        await c.env.FEDERATIONS.getByName(federationId).reportEvaluation(
          c.var.caller,
          version,
          c.req.valid("json"),
        ),
      ),
      200,
    );
  },
);
