// The fedrouter HTTP API: one OpenAPIHono app, routes split by resource, one error renderer.
import type { OpenAPIHono } from "@hono/zod-openapi";
import { cors } from "hono/cors";
import type { AppEnv } from "./env.ts";
import { errorResponse, renderError } from "./errors.ts";
import { pages } from "./pages/routes.ts";
import { createRouter } from "./route-kit.ts";
import { clientBatches } from "./routes/client-batches.ts";
import { federations } from "./routes/federations.ts";
import { models } from "./routes/models.ts";
import { rounds } from "./routes/rounds.ts";
import { schedule } from "./routes/schedule.ts";
import { tenants } from "./routes/tenants.ts";

export const API_VERSION = "1.0.0";

export function createApp(): OpenAPIHono<AppEnv> {
  const app = createRouter();
  const api = createRouter();
  api.get("/health", (c) => c.json({ ok: true }));
  // Browser apps on other origins use the SDK against federation routes. Tokens travel in the
  // Authorization header, never in cookies, so any origin may call: the token is the check.
  api.use(
    "/federations/*",
    cors({
      origin: "*",
      allowMethods: ["GET", "POST", "PUT", "DELETE"],
      allowHeaders: ["authorization", "content-type", "if-none-match"],
      exposeHeaders: ["etag", "link"],
      maxAge: 600,
    }),
  );
  api.route("/", tenants);
  api.route("/", federations);
  api.route("/", clientBatches);
  api.route("/", rounds);
  api.route("/", schedule);
  api.route("/", models);
  api.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "Operator token, owner token (fro.…) or client token (frc.…)",
  });
  api.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "fedrouter edge API",
      version: API_VERSION,
      description: "Federated learning of LLM routers with secure aggregation on Cloudflare's edge.",
    },
    servers: [{ url: "/v1" }],
  });
  app.route("/v1", api);
  app.route("/", pages);
  app.notFound((c) =>
    errorResponse(c, "not_found", `no route ${c.req.method} ${new URL(c.req.url).pathname}`),
  );
  app.onError(renderError);
  return app;
}
