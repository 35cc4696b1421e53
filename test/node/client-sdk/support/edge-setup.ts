// The sdk test project's global setup: one real edge for the whole run (the worker under wrangler
// dev on 127.0.0.1, its state in a temporary folder, an operator token made up for the run), whose
// URL and operator token the tests inject; stopped when the run ends.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TestProject } from "vitest/node";
import { freePort, startEdge } from "../../../../operator/local-edge.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** http://127.0.0.1:<port> */
    edgeUrl: string;
    operatorToken: string;
  }
}

export default async function startSdkEdge(project: TestProject): Promise<() => Promise<void>> {
  const stateDir = mkdtempSync(join(tmpdir(), "fedrouter-sdk-edge-"));
  // A free port rather than 8787: another test run or the demo may hold that one.
  const edge = await startEdge({
    root: resolve(import.meta.dirname, "../../../.."),
    stateDir,
    port: await freePort(),
  });
  project.provide("edgeUrl", edge.url);
  project.provide("operatorToken", edge.operatorToken);
  return async () => {
    await edge.stop();
    rmSync(stateDir, { recursive: true, force: true });
  };
}
