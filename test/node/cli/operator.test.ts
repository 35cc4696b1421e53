// The operator commands' contract with an edge, against a stand-in edge on 127.0.0.1 that records
// what it is sent: the paths and methods (pause and resume too), the bearer token from
// FEDROUTER_TOKEN (never printed), --edge over FEDROUTER_EDGE, tables and --json, the edge's error
// code and message on failure (exit 1) and exit 2 for bad flags. The walkthrough test runs the
// commands against the real edge.
import { spawn } from "node:child_process";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../../operator/local-edge.ts";

const cli = join(import.meta.dirname, "../../../experiments/cli.ts");
const TOKEN = "fro.ten_0123.tok_4567.a-secret-that-must-never-be-printed";
const FEDERATION = "fed_00000000000000000000000000000001";

const view = (paused: boolean) => ({
  id: FEDERATION,
  tenantId: "ten_0123",
  createdAt: "2026-12-06T00:00:00.000Z",
  training: {
    schedule: { kind: "continuous", minClients: 5, maxWaitSeconds: 300, retrainAfterEvaluations: 100 },
    state: paused ? "paused" : "waiting_for_clients",
    checkedIn: 2,
    newEvaluations: 40,
    trainings: 1,
    lastRefusal: null,
  },
  config: {
    name: "support",
    router: { kind: "kmeans", hyperparameters: { clusters: 4 } },
    models: [
      { id: "small-llm", inputPrice: 0.1, outputPrice: 0.4 },
      { id: "large-llm", inputPrice: 5, outputPrice: 15 },
    ],
    embedder: { id: "hashing-v1", dimension: 32 },
    roundPolicy: { cohortSize: 5, minParticipants: 5, participationFraction: 1, deadlines: {} },
    secureAggregation: { threshold: 3, neighbourDegree: "complete", curve: "X25519" },
    clipping: { min: -1000, max: 1000 },
  },
  latestVersion: 3,
  clientCount: 5,
  currentRound: null,
  usage: { roundsRun: 3, roundsAborted: 0, updatesAggregated: 15, bytesIngested: 2048, modelsServed: 9 },
});

const seen: { method: string; path: string; authorization: string | undefined }[] = [];
let server: Server;
let edgeUrl: string;

function answer(request: IncomingMessage): [number, unknown] {
  const path = request.url ?? "";
  if (request.headers.authorization !== `Bearer ${TOKEN}`)
    return [401, { error: { code: "unauthorized", message: "unknown token" } }];
  if (request.method === "POST" && path === `/v1/federations/${FEDERATION}/pause`) return [200, view(true)];
  if (request.method === "POST" && path === `/v1/federations/${FEDERATION}/resume`) return [200, view(false)];
  if (request.method === "GET" && path === "/v1/federations") return [200, [view(false)]];
  if (request.method === "GET" && path === `/v1/federations/${FEDERATION}`) return [200, view(false)];
  if (request.method === "POST" && path === `/v1/federations/${FEDERATION}/rounds`)
    return [
      409,
      { error: { code: "conflict", message: "training has finished: the latest model is final" } },
    ];
  return [404, { error: { code: "not_found", message: `no such federation` } }];
}

beforeAll(async () => {
  server = createServer((request, response) => {
    seen.push({
      method: request.method ?? "",
      path: request.url ?? "",
      authorization: request.headers.authorization,
    });
    const [status, body] = answer(request);
    response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  });
  const port = await freePort();
  await new Promise<void>((done) => server.listen(port, "127.0.0.1", done));
  edgeUrl = `http://127.0.0.1:${port}`;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

/** Runs the CLI (asynchronously: the stand-in edge answers from this process). */
function fedrouter(args: string[], env: Record<string, string | undefined> = {}) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], {
      env: {
        ...process.env,
        FEDROUTER_EDGE: edgeUrl,
        FEDROUTER_TOKEN: TOKEN,
        FEDROUTER_FEDERATION: "",
        ...env,
      },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

describe("fedrouter's operator commands", () => {
  it("pauses and resumes through POST /v1/federations/{id}/pause and /resume with the owner's token", async () => {
    seen.length = 0;
    const paused = await fedrouter(["federation", "pause", FEDERATION]);
    expect(paused.status, paused.stderr).toBe(0);
    expect(paused.stdout.trim()).toBe(
      `federation ${FEDERATION} paused: continuous, paused: 2 of 5 clients checked in, 40 of 100 new evaluations to retrain, 1 training(s) done`,
    );
    const resumed = await fedrouter(["federation", "resume", "--json"], { FEDROUTER_FEDERATION: FEDERATION });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({
      id: FEDERATION,
      training: { state: "waiting_for_clients" },
    });
    expect(seen).toEqual([
      { method: "POST", path: `/v1/federations/${FEDERATION}/pause`, authorization: `Bearer ${TOKEN}` },
      { method: "POST", path: `/v1/federations/${FEDERATION}/resume`, authorization: `Bearer ${TOKEN}` },
    ]);
    for (const out of [paused, resumed]) expect(out.stdout + out.stderr).not.toContain(TOKEN);
  });

  it("prints a table for people and the edge's answer with --json", async () => {
    const table = await fedrouter(["federation", "list"]);
    expect(table.status, table.stderr).toBe(0);
    const [header, row] = table.stdout.trim().split("\n");
    expect(header).toMatch(/^ID\s+NAME\s+ROUTER\s+MODELS\s+CLIENTS\s+VERSION\s+ROUND\s+ROUNDS RUN$/);
    expect(row).toMatch(new RegExp(`^${FEDERATION}\\s+support\\s+kmeans\\s+2\\s+5\\s+v3\\s+-\\s+3$`));
    const json = await fedrouter(["--json", "federation", "list"]);
    expect(JSON.parse(json.stdout)).toEqual([view(false)]);
    const shown = await fedrouter(["federation", "show", FEDERATION]);
    expect(shown.stdout).toMatch(/^training:\s+continuous, waiting for clients: 2 of 5 clients checked in/m);
    expect(shown.stdout).toMatch(
      /^usage:\s+3 rounds run, 0 aborted, 15 updates, 2\.0 KiB in, 9 models served$/m,
    );
  });

  it("fails with the edge's code and message and exit code 1, never printing the token", async () => {
    const missing = await fedrouter(["federation", "show", "fed_missing"]);
    expect(missing.status).toBe(1);
    expect(missing.stderr.trim()).toBe("fedrouter: not_found: no such federation (HTTP 404)");
    const final = await fedrouter(["round", "start", "-f", FEDERATION]);
    expect(final.status).toBe(1);
    expect(final.stderr).toContain(
      "fedrouter: conflict: training has finished: the latest model is final (HTTP 409)",
    );
    const wrongToken = await fedrouter(["usage"], { FEDROUTER_TOKEN: "frc.wrong" });
    expect(wrongToken.status).toBe(1);
    expect(wrongToken.stderr).toContain("fedrouter: unauthorized: unknown token (HTTP 401)");
    const unreachable = await fedrouter(["federation", "list", "--edge", "http://127.0.0.1:9"]);
    expect(unreachable.status).toBe(1);
    expect(unreachable.stderr).toMatch(/^fedrouter: network: http:\/\/127\.0\.0\.1:9: .+ \(no answer\)$/m);
    for (const out of [missing, final, wrongToken, unreachable])
      expect(out.stdout + out.stderr).not.toContain(TOKEN);
  });

  it("exits with 2 for bad flags, a missing token or federation, before asking the edge", async () => {
    seen.length = 0;
    const cases = [
      ["round", "start", "--colour", "red"],
      ["federation", "create", "--name", "x", "--model", "only-one:1:1"],
      ["federation", "create", "--name", "x", "--model", "a:1", "--model", "b:1:1"],
      ["federation", "create", "--config", "c.json", "--name", "x"],
      ["model", "pull", "v2", "--out", "m.bin", "-f", FEDERATION],
      ["model", "pull", "2", "-f", FEDERATION],
      ["client", "list"],
    ];
    for (const args of cases) {
      const result = await fedrouter(args);
      expect(result.status, `${args.join(" ")}: ${result.stderr}`).toBe(2);
      expect(result.stderr).toMatch(/^fedrouter: /);
    }
    const noToken = await fedrouter(["federation", "list"], { FEDROUTER_TOKEN: undefined });
    expect(noToken.status).toBe(2);
    expect(noToken.stderr).toContain("FEDROUTER_TOKEN is not set");
    expect(seen).toEqual([]);
  });
});
