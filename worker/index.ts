// Entry point of the fedrouter edge worker: the HTTP API and the Durable Object classes it binds.
import { createApp } from "./app.ts";

export { Federation } from "../durable-objects/federation.ts";
export { Round } from "../durable-objects/round.ts";
export { Tenant } from "../durable-objects/tenant.ts";

export default createApp();
