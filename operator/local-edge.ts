// A local edge (for the main job, the operator's walkthrough, scripts and tests): the worker under wrangler's dev server (workerd) on 127.0.0.1,
// its Durable Objects and KV persisted in a folder, and an operator token made up for this run.
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import type { Unstable_DevWorker } from "wrangler";
import { withTimeout } from "./timeouts.ts";

export interface LocalEdge {
  /** http://127.0.0.1:<port> */
  url: string;
  /** The operator token of this run only (a local var, never written anywhere). */
  operatorToken: string;
  stop(): Promise<void>;
}

export interface EdgeOptions {
  root: string;
  /** Where workerd keeps the Durable Objects' SQLite files and the KV store. */
  stateDir: string;
  /** A port, or undefined for 8787 when free (else any free port). */
  port?: number;
  /** Bound on the start (workerd compiles the worker first). */
  startTimeoutMs?: number;
  /** Serve the worker's V8 inspector (Chrome DevTools protocol) on this port (load/profiler.ts). */
  inspectorPort?: number;
}

const DEFAULT_PORT = 8787;

/**
 * DEVELOPMENT ONLY: the edge's id-tag key and model-signing key (an Ed25519 seed) for local runs:
 * the demo, the tests and `npm run dev` (copied into .dev.vars, docs/deploy.md). They are public:
 * a deployed edge gets its own with `wrangler secret put`. Fixed rather than made up per run, so
 * ids and signatures in a persisted local state stay valid from one run to the next.
 */
export const DEV_SECRETS = {
  ID_KEY: "fedrouter-dev-id-key-public-never-deploy",
  MODEL_SIGNING_KEY: "0ddba11d0ddba11d0ddba11d0ddba11d0ddba11d0ddba11d0ddba11d0ddba11d",
} as const;

/** Whether 127.0.0.1:port can be bound now. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A port the OS reports free on 127.0.0.1 (tests start their edges on these too). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export class EdgeStartError extends Error {
  override name = "EdgeStartError";
}

/**
 * What every local wrangler here runs with: offline and quiet (no usage metrics, no update
 * checks), and without wrangler dev's local observability unless the caller set
 * X_LOCAL_OBSERVABILITY. That is a streaming tail worker collecting a trace span for every
 * request, subrequest and storage call: a dev-time explorer, not part of the worker, and it took
 * 36-48% of the edge's workerd's CPU per request (npm run load:cost: a check-in 2.75 ms with it,
 * 1.68 without; docs/load.md).
 */
export function localWranglerDefaults(): void {
  process.env.WRANGLER_SEND_METRICS = "false";
  process.env.WRANGLER_SEND_ERROR_REPORTS = "false";
  process.env.X_LOCAL_OBSERVABILITY ??= "false";
}

export async function startEdge(options: EdgeOptions): Promise<LocalEdge> {
  localWranglerDefaults();
  const port = options.port ?? ((await portFree(DEFAULT_PORT)) ? DEFAULT_PORT : await freePort());
  if (options.port !== undefined && !(await portFree(port)))
    throw new EdgeStartError(`port ${port} on 127.0.0.1 is in use: pick another with --port`);
  mkdirSync(options.stateDir, { recursive: true });
  const operatorToken = randomBytes(32).toString("base64url");
  const { unstable_dev } = await import("wrangler");
  const starting = unstable_dev(join(options.root, "worker/index.ts"), {
    config: join(options.root, "wrangler.toml"),
    ip: "127.0.0.1",
    port,
    inspect: options.inspectorPort !== undefined,
    inspectorPort: options.inspectorPort ?? (await freePort()),
    persistTo: options.stateDir,
    // .dev.vars would override the run's operator token: read no env files.
    envFiles: [],
    vars: { OPERATOR_TOKEN: operatorToken, ...DEV_SECRETS },
    logLevel: "error",
    // No `watch: false`: unstable_dev (wrangler 4.164) ignores it and always watches the bundle's
    // sources. An edit to one restarts the runtime, and requests in flight then get 503 (measured;
    // docs/load.md): long runs belong in a checkout nobody edits.
    experimental: {
      disableExperimentalWarning: true,
      disableDevRegistry: true,
      liveReload: false,
    },
  });
  let worker: Unstable_DevWorker;
  try {
    worker = await withTimeout(
      starting,
      options.startTimeoutMs ?? 120_000,
      "starting the edge (wrangler dev)",
    );
  } catch (error) {
    // A start that finishes after we gave up must not leave workerd running.
    starting.then((late) => late.stop()).catch(() => {});
    throw new EdgeStartError(`the edge did not start: ${(error as Error).message}`);
  }
  let stopped: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${worker.port}`,
    operatorToken,
    stop() {
      stopped ??= withTimeout(worker.stop(), 30_000, "stopping the edge");
      return stopped;
    },
  };
}
