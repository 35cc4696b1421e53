// The edge worker under wrangler's unstable_dev on 127.0.0.1, with a throwaway persistence
// folder, for the tests that talk to it over real HTTP (browser tests and the SDK's end to end).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Unstable_DevWorker, unstable_dev } from "wrangler";
import { DEV_SECRETS, freePort } from "../../operator/local-edge.ts";

export { freePort };

export interface DevEdge {
  origin: string;
  worker: Unstable_DevWorker;
  stop(): Promise<void>;
}

/** Starts `entry` (default: the production worker) with the given operator token. */
export async function startDevEdge(operatorToken: string, entry = "worker/index.ts"): Promise<DevEdge> {
  const state = mkdtempSync(join(tmpdir(), "fedrouter-dev-"));
  const worker = await unstable_dev(entry, {
    config: "wrangler.toml",
    ip: "127.0.0.1",
    port: await freePort(),
    inspectorPort: await freePort(),
    persistTo: state,
    envFiles: [],
    vars: { OPERATOR_TOKEN: operatorToken, ...DEV_SECRETS },
    logLevel: "warn",
    experimental: { disableExperimentalWarning: true },
  });
  return {
    origin: `http://127.0.0.1:${worker.port}`,
    worker,
    async stop() {
      await worker.stop();
      rmSync(state, { recursive: true, force: true });
    },
  };
}
