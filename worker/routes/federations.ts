// Federations of the caller's tenant, their enrolled clients and their usage ledger.
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import {
  clientEnrolmentSchema,
  clientParamsSchema,
  enrolClientSchema,
  enrolledClientSchema,
} from "../../core/wire/clients.ts";
import {
  clientFederationSchema,
  federationConfigSchema,
  federationParamsSchema,
  federationSchema,
  growthSchema,
  usageSchema,
} from "../../core/wire/federation.ts";
import { member, ownerTenant } from "../auth.ts";
import { unwrap } from "../errors.ts";
import { bearerSecurity, createRouter, errorResponses, json, jsonBody, KiB, limit } from "../route-kit.ts";

export const federations = createRouter();
const owner = member(["owner"]);
const anyMember = member(["owner", "client"]);

federations.openapi(
  createRoute({
    method: "post",
    path: "/federations",
    tags: ["federations"],
    summary: "Create a federation; its initial model is published as version 0",
    security: bearerSecurity,
    middleware: [limit(64 * KiB), owner] as const,
    request: jsonBody(federationConfigSchema),
    responses: { 201: json(federationSchema, "The federation"), ...errorResponses },
  }),
  async (c) =>
    c.json(
      unwrap(await c.env.TENANTS.getByName(ownerTenant(c.var.caller)).createFederation(c.req.valid("json"))),
      201,
    ),
);

federations.openapi(
  createRoute({
    method: "get",
    path: "/federations",
    tags: ["federations"],
    summary: "The tenant's federations",
    security: bearerSecurity,
    middleware: [owner] as const,
    responses: { 200: json(z.array(federationSchema), "Federations"), ...errorResponses },
  }),
  async (c) =>
    c.json(unwrap(await c.env.TENANTS.getByName(ownerTenant(c.var.caller)).listFederations()), 200),
);

federations.openapi(
  createRoute({
    method: "get",
    path: "/federations/{federationId}",
    tags: ["federations"],
    summary: "A federation: configuration, latest version, clients, usage (the usage for owners only)",
    security: bearerSecurity,
    middleware: [anyMember] as const,
    request: { params: federationParamsSchema },
    responses: {
      200: json(
        z.union([federationSchema, clientFederationSchema]),
        "The federation (a client's token: without the usage ledger)",
      ),
      ...errorResponses,
    },
  }),
  async (c) =>
    c.json(
      unwrap(await c.env.FEDERATIONS.getByName(c.req.valid("param").federationId).describe(c.var.caller)),
      200,
    ),
);

federations.openapi(
  createRoute({
    method: "get",
    path: "/federations/{federationId}/usage",
    tags: ["federations"],
    summary: "The usage ledger: rounds run, updates aggregated, bytes ingested, models served",
    security: bearerSecurity,
    middleware: [owner] as const,
    request: { params: federationParamsSchema },
    responses: { 200: json(usageSchema, "Usage"), ...errorResponses },
  }),
  async (c) =>
    c.json(
      unwrap(await c.env.FEDERATIONS.getByName(c.req.valid("param").federationId).usage(c.var.caller)),
      200,
    ),
);

federations.openapi(
  createRoute({
    method: "post",
    path: "/federations/{federationId}/growth",
    tags: ["federations"],
    summary:
      "Grow a trained federation: add LLMs (the next rounds learn only them) or let new organisations join (the next rounds are theirs: open them with those clients as the cohort). The grown state is published as the next version.",
    security: bearerSecurity,
    middleware: [limit(16 * KiB), owner] as const,
    request: { params: federationParamsSchema, ...jsonBody(growthSchema) },
    responses: { 200: json(federationSchema, "The federation, grown"), ...errorResponses },
  }),
  async (c) =>
    c.json(
      unwrap(
        await c.env.FEDERATIONS.getByName(c.req.valid("param").federationId).grow(
          c.var.caller,
          c.req.valid("json"),
        ),
      ),
      200,
    ),
);

federations.openapi(
  createRoute({
    method: "post",
    path: "/federations/{federationId}/clients",
    tags: ["clients"],
    summary: "Enrol a client; its token is shown once",
    security: bearerSecurity,
    middleware: [limit(4 * KiB), owner] as const,
    request: { params: federationParamsSchema, ...jsonBody(enrolClientSchema) },
    responses: { 201: json(clientEnrolmentSchema, "The client and its token"), ...errorResponses },
  }),
  async (c) =>
    c.json(
      unwrap(
        await c.env.FEDERATIONS.getByName(c.req.valid("param").federationId).enrolClient(
          c.var.caller,
          c.req.valid("json"),
        ),
      ),
      201,
    ),
);

federations.openapi(
  createRoute({
    method: "get",
    path: "/federations/{federationId}/clients",
    tags: ["clients"],
    summary: "Enrolled clients",
    security: bearerSecurity,
    middleware: [owner] as const,
    request: { params: federationParamsSchema },
    responses: { 200: json(z.array(enrolledClientSchema), "Clients"), ...errorResponses },
  }),
  async (c) =>
    c.json(
      unwrap(await c.env.FEDERATIONS.getByName(c.req.valid("param").federationId).listClients(c.var.caller)),
      200,
    ),
);

federations.openapi(
  createRoute({
    method: "delete",
    path: "/federations/{federationId}/clients/{clientId}",
    tags: ["clients"],
    summary: "Revoke a client's token (also in the round in progress)",
    security: bearerSecurity,
    middleware: [owner] as const,
    request: { params: clientParamsSchema },
    responses: {
      200: json(z.object({ clientId: z.string(), revokedAt: z.string() }), "Revoked"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const { federationId, clientId } = c.req.valid("param");
    return c.json(
      unwrap(await c.env.FEDERATIONS.getByName(federationId).revokeClient(c.var.caller, clientId)),
      200,
    );
  },
);
