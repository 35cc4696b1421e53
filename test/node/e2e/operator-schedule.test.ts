// The operator's CLI against the real edge (wrangler dev): a federation created with a continuous
// schedule from the command line, shown with where its training stands, then paused and resumed.
// The walkthrough covers the manual schedule; the stand-in edge covers flags, errors and tokens.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Federation } from "../../../core/wire/federation.ts";
import { freePort, type LocalEdge, startEdge } from "../../../operator/local-edge.ts";

const root = resolve(import.meta.dirname, "../../..");
const cli = join(root, "experiments/cli.ts");
const stateDir = mkdtempSync(join(tmpdir(), "fedrouter-operator-"));
let edge: LocalEdge | undefined;

afterAll(async () => {
  await edge?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

/** Runs the CLI against the edge with `token` as FEDROUTER_TOKEN. */
function fedrouter(token: string, args: string[]) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: { ...process.env, FEDROUTER_EDGE: edge!.url, FEDROUTER_TOKEN: token, FEDROUTER_FEDERATION: "" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (status) => done({ status, stdout, stderr }));
  });
}

describe("fedrouter federation against the edge", () => {
  it("creates a continuous schedule, shows where it stands, pauses and resumes it", async () => {
    edge = await startEdge({ root, stateDir, port: await freePort() });
    const tenant = await fedrouter(edge.operatorToken, ["tenant", "create", "acme", "-q"]);
    expect(tenant.status, tenant.stderr).toBe(0);
    const owner = tenant.stdout.trim();
    const created = await fedrouter(owner, [
      ...["federation", "create", "-q", "--name", "support", "--embedder", "hashing"],
      ...["--model", "small-llm:0.1:0.4", "--model", "large-llm:5:15"],
      ...["--schedule", "continuous", "--min-clients", "6", "--max-wait", "600", "--retrain-after", "40"],
    ]);
    expect(created.status, created.stderr).toBe(0);
    const federationId = created.stdout.trim();

    const shown = await fedrouter(owner, ["--json", "federation", "show", federationId]);
    const federation = JSON.parse(shown.stdout) as Federation;
    expect(federation.config.schedule).toEqual({
      kind: "continuous",
      minClients: 6,
      maxWaitSeconds: 600,
      retrainAfterEvaluations: 40,
    });
    expect(federation.training.state).toBe("waiting_for_clients");
    const table = await fedrouter(owner, ["federation", "show", federationId]);
    expect(table.stdout).toMatch(/^training:\s+continuous, waiting for clients: 0 of 6 clients checked in/m);

    const paused = await fedrouter(owner, ["federation", "pause", federationId]);
    expect(paused.status, paused.stderr).toBe(0);
    expect(paused.stdout).toMatch(new RegExp(`^federation ${federationId} paused: continuous, paused:`));
    const resumed = await fedrouter(owner, ["--json", "federation", "resume", federationId]);
    expect(resumed.status, resumed.stderr).toBe(0);
    // Resumed, the schedule looks for clients again (training, or waiting once the alarm has run).
    expect(["training", "waiting_for_clients"]).toContain(
      (JSON.parse(resumed.stdout) as Federation).training.state,
    );

    // A manual federation has no schedule to pause: the edge's code and message, exit 1.
    const manual = await fedrouter(owner, [
      ...["federation", "create", "-q", "--name", "by-hand", "--embedder", "hashing"],
      ...["--model", "small-llm:0.1:0.4", "--model", "large-llm:5:15"],
    ]);
    const refused = await fedrouter(owner, ["federation", "pause", manual.stdout.trim()]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^fedrouter: \w+: .+ \(HTTP 409\)$/m);
    for (const out of [tenant, created, shown, paused, resumed, refused])
      expect(out.stdout + out.stderr).not.toContain(edge.operatorToken);
  }, 180_000);
});
