// npm run load:cost -- --requests 2000 --out request-cost.json
// What one request costs the local edge in CPU, by kind (docs/load.md, "What a request costs"):
// wrangler dev's floor (a worker that only answers "ok", under the same runtime), then requests to
// this edge that stop at the router, at a client's authentication, at a held check-in answered at
// once, and at a model's bytes. workerd's CPU (user + system, /proc) over the batch, per request.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Command } from "commander";
import { freePort, localWranglerDefaults, startEdge } from "../operator/local-edge.ts";
import { createFederation, createTenant, enrolClients } from "../operator/owner-api.ts";
import { numberIn } from "./arguments.ts";
import { federationConfig, population } from "./population.ts";
import { EdgeProcesses } from "./proc.ts";
import { round2 } from "./stats.ts";

const CLIENTS = 200;
const IN_FLIGHT = 32;

/** What one kind of request costs (a row of the report). */
export interface RequestCost {
  kind: string;
  status: number;
  /** The edge's workerd (the worker, its objects and KV). */
  cpuMsPerRequest: number;
  /** wrangler dev's proxy in front of it, which a deployed worker does without. */
  devProxyCpuMsPerRequest: number;
  wallMsPerRequest: number;
}

/**
 * Sends `count` requests, `IN_FLIGHT` at a time, to the edge at `url` and measures its workerd's
 * CPU over them, and apart from it that of wrangler dev's proxy in front (load/proc.ts).
 */
async function measure(
  kind: string,
  url: string,
  count: number,
  send: (i: number) => Promise<Response>,
): Promise<RequestCost> {
  let status = 0;
  let next = 0;
  const processes = new EdgeProcesses(Number(new URL(url).port));
  const before = processes.usage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < count) {
        const response = await send(next++);
        await response.arrayBuffer();
        status ||= response.status;
      }
    }),
  );
  const wall = performance.now() - started;
  // The CPU counters are in clock ticks, read from /proc: let the last requests' work land.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const after = processes.usage();
  const perRequest = (seconds: number) => round2((seconds * 1000) / count);
  return {
    kind,
    status,
    cpuMsPerRequest: perRequest(after.cpuSeconds - before.cpuSeconds),
    devProxyCpuMsPerRequest: perRequest(after.proxyCpuSeconds - before.proxyCpuSeconds),
    wallMsPerRequest: round2(wall / count),
  };
}

/** wrangler dev's own cost per request: a worker that answers "ok" and does nothing else. */
async function runtimeFloor(count: number): Promise<RequestCost> {
  const dir = mkdtempSync(join(tmpdir(), "fedrouter-floor-"));
  writeFileSync(join(dir, "index.js"), 'export default { fetch() { return new Response("ok"); } };\n');
  writeFileSync(
    join(dir, "wrangler.toml"),
    'name = "floor"\nmain = "index.js"\ncompatibility_date = "2025-09-01"\n',
  );
  // Under the same runtime settings as the edge (observability off), or the floor is not one.
  localWranglerDefaults();
  const { unstable_dev } = await import("wrangler");
  const worker = await unstable_dev(join(dir, "index.js"), {
    config: join(dir, "wrangler.toml"),
    ip: "127.0.0.1",
    port: await freePort(),
    logLevel: "error",
    experimental: { disableExperimentalWarning: true, disableDevRegistry: true, watch: false },
  });
  try {
    const url = `http://127.0.0.1:${worker.port}/`;
    return await measure("runtime floor (a worker answering ok)", url, count, () => fetch(url));
  } finally {
    await worker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function edgeCosts(root: string, count: number): Promise<RequestCost[]> {
  const stateDir = mkdtempSync(join(tmpdir(), "fedrouter-cost-"));
  const edge = await startEdge({ root, stateDir, port: await freePort() });
  try {
    const owner = await createTenant(edge.url, edge.operatorToken, "cost", 1e9);
    const { models } = population({ clients: CLIENTS, queriesPerClient: 10, seed: 1 });
    const config = federationConfig({
      kind: "kmeans",
      hyperparameters: {},
      models,
      dimension: 1024,
      clients: CLIENTS,
      dropout: 0.1,
      stageDeadlineSeconds: 15,
      advertiseDeadlineSeconds: 30,
      clip: 1000,
    });
    // Manual: no round opens, so a check-in is answered at once and rounds/current has none.
    const federation = await createFederation(owner, { ...config, schedule: { kind: "manual" } });
    const clients = await enrolClients(owner, federation.id, Array(CLIENTS).fill(undefined));
    const base = `${edge.url}/v1/federations/${federation.id}`;
    const as = (i: number, init: RequestInit = {}): RequestInit => ({
      ...init,
      headers: { authorization: `Bearer ${clients[i % CLIENTS]!.token}`, "content-type": "application/json" },
    });
    return [
      await measure("unknown path (router, 404 envelope)", edge.url, count, () =>
        fetch(`${edge.url}/v1/nowhere`),
      ),
      await measure("client GET rounds/current (Federation object)", edge.url, count, (i) =>
        fetch(`${base}/rounds/current`, as(i)),
      ),
      await measure("client POST check-in, answered at once", edge.url, count, (i) =>
        fetch(`${base}/check-in`, as(i, { method: "POST", body: JSON.stringify({ evaluationBucket: 1 }) })),
      ),
      await measure("client GET models/0 (bytes from KV)", edge.url, count, (i) =>
        fetch(`${base}/models/0`, as(i)),
      ),
    ];
  } finally {
    await edge.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const program = new Command("load:cost")
  .description("measure the local edge's CPU per request, by kind, beside wrangler dev's own floor")
  .option("--requests <n>", "requests of each kind", numberIn(100, 100_000), 2000)
  .option("--out <file>", "where to write the JSON report", "request-cost.json")
  .action(async (options: { requests: number; out: string }) => {
    const costs = [
      await runtimeFloor(options.requests),
      ...(await edgeCosts(process.cwd(), options.requests)),
    ];
    for (const c of costs)
      console.log(
        `${c.kind.padEnd(48)} ${String(c.status).padStart(3)} ${c.cpuMsPerRequest} ms CPU (+ ${c.devProxyCpuMsPerRequest} in wrangler dev's proxy)`,
      );
    const report = { requests: options.requests, inFlight: IN_FLIGHT, costs, date: new Date().toISOString() };
    writeFileSync(resolve(options.out), `${JSON.stringify(report, null, 2)}\n`);
  });

await program.parseAsync();
