// Entry point of the fedrouter edge worker: the HTTP API and the Durable Object classes it binds.
import { Hono } from "hono";

export { Federation } from "../durable-objects/federation.ts";
export { Round } from "../durable-objects/round.ts";

const app = new Hono<{ Bindings: Env }>();

app.get("/v1/health", (c) => c.json({ ok: true }));

export default app;
