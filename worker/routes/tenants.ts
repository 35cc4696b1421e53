// Tenants: the operator creates them; an owner reads its tenant, manages owner tokens, opens the dashboard.
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { dashboardSchema } from "../../core/wire/dashboard.ts";
import { mintId } from "../../core/wire/ids.ts";
import {
  createdTenantSchema,
  createTenantSchema,
  issuedOwnerTokenSchema,
  tenantSchema,
  tokenParamsSchema,
} from "../../core/wire/tenants.ts";
import { member, operatorOnly, ownerTenant } from "../auth.ts";
import { unwrap } from "../errors.ts";
import { bearerSecurity, createRouter, errorResponses, json, jsonBody, KiB, limit } from "../route-kit.ts";

export const tenants = createRouter();
const owner = member(["owner"]);

tenants.openapi(
  createRoute({
    method: "post",
    path: "/tenants",
    tags: ["tenants"],
    summary: "Create a tenant (operator); returns its first owner token, shown once",
    security: bearerSecurity,
    middleware: [limit(4 * KiB), operatorOnly] as const,
    request: jsonBody(createTenantSchema),
    responses: { 201: json(createdTenantSchema, "The tenant and its owner token"), ...errorResponses },
  }),
  async (c) => {
    const id = await mintId("ten", c.env.ID_KEY);
    return c.json(unwrap(await c.env.TENANTS.getByName(id).create(id, c.req.valid("json"))), 201);
  },
);

tenants.openapi(
  createRoute({
    method: "get",
    path: "/tenant",
    tags: ["tenants"],
    summary: "The caller's tenant, its quota and today's updates",
    security: bearerSecurity,
    middleware: [owner] as const,
    responses: { 200: json(tenantSchema, "The tenant"), ...errorResponses },
  }),
  async (c) => c.json(unwrap(await c.env.TENANTS.getByName(ownerTenant(c.var.caller)).describe()), 200),
);

tenants.openapi(
  createRoute({
    method: "post",
    path: "/tenant/owner-tokens",
    tags: ["tenants"],
    summary: "Issue another owner token (shown once)",
    security: bearerSecurity,
    middleware: [limit(KiB), owner] as const,
    responses: { 201: json(issuedOwnerTokenSchema, "The new token"), ...errorResponses },
  }),
  async (c) =>
    c.json(unwrap(await c.env.TENANTS.getByName(ownerTenant(c.var.caller)).issueOwnerToken()), 201),
);

tenants.openapi(
  createRoute({
    method: "delete",
    path: "/tenant/owner-tokens/{tokenId}",
    tags: ["tenants"],
    summary: "Revoke an owner token",
    security: bearerSecurity,
    middleware: [owner] as const,
    request: { params: tokenParamsSchema },
    responses: {
      200: json(z.object({ tokenId: z.string(), revokedAt: z.string() }), "Revoked"),
      ...errorResponses,
    },
  }),
  async (c) =>
    c.json(
      unwrap(
        await c.env.TENANTS.getByName(ownerTenant(c.var.caller)).revokeOwnerToken(
          c.req.valid("param").tokenId,
        ),
      ),
      200,
    ),
);

tenants.openapi(
  createRoute({
    method: "get",
    path: "/tenant/dashboard",
    tags: ["tenants"],
    summary: "Everything the dashboard shows: federations, rounds, versions, evaluations, usage",
    security: bearerSecurity,
    middleware: [owner] as const,
    responses: { 200: json(dashboardSchema, "The tenant's overview"), ...errorResponses },
  }),
  async (c) => c.json(unwrap(await c.env.TENANTS.getByName(ownerTenant(c.var.caller)).dashboard()), 200),
);
