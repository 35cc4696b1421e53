// Enrolment in batches: a federation of a thousand clients enrols them in one request, not a
// thousand (each client still gets its own token, shown once).
import { createRoute } from "@hono/zod-openapi";
import { clientEnrolmentsSchema, enrolClientsSchema } from "../../core/wire/clients.ts";
import { federationParamsSchema } from "../../core/wire/federation.ts";
import { member } from "../auth.ts";
import { unwrap } from "../errors.ts";
import { bearerSecurity, createRouter, errorResponses, json, jsonBody, KiB, limit } from "../route-kit.ts";

export const clientBatches = createRouter();

clientBatches.openapi(
  createRoute({
    method: "post",
    path: "/federations/{federationId}/clients/batch",
    tags: ["clients"],
    summary: "Enrol up to 1000 clients at once (all or none); each token is shown once",
    security: bearerSecurity,
    middleware: [limit(256 * KiB), member(["owner"])] as const,
    request: { params: federationParamsSchema, ...jsonBody(enrolClientsSchema) },
    responses: {
      201: json(clientEnrolmentsSchema, "The clients and their tokens, in the order asked"),
      ...errorResponses,
    },
  }),
  async (c) => {
    const enrolments = unwrap(
      await c.env.FEDERATIONS.getByName(c.req.valid("param").federationId).enrolClients(
        c.var.caller,
        c.req.valid("json").clients,
      ),
    );
    return c.json({ enrolments }, 201);
  },
);
