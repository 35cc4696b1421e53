// The SDK in headless Chromium: bundled for the browser (client-sdk/scripts/bundle.ts), served
// from one 127.0.0.1 origin, it fetches the federation's model from the edge on another (so CORS
// is exercised), routes a query on onnxruntime-web's WASM and in plain JavaScript, and keeps an
// evaluation in IndexedDB, and routes in personalised mode with a local MLP it trains itself. Three
// Node SDK clients train the model first, over secure rounds.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrowserBundle, bundleBrowser } from "../../client-sdk/scripts/bundle.ts";
import type { RouteDecision } from "../../client-sdk/src/index.ts";
import { roundSchedule } from "../../core/federated.ts";
import { enrolSdkClients, federation, organisations, runRounds } from "../node/e2e/organisations.ts";
import { type Browser, launchChromium } from "./chromium.ts";
import { type DevEdge, freePort, startDevEdge } from "./dev-edge.ts";
import { EdgeClient } from "./edge-client.ts";

const OPERATOR = "browser-sdk-operator";
const ORT = resolve("node_modules/onnxruntime-web/dist");
const TYPES: Record<string, string> = {
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".wasm": "application/wasm",
  ".html": "text/html",
};

/** Serves the page, the bundle under /sdk/ and onnxruntime-web's files under /ort/. */
async function servePage(bundle: BrowserBundle): Promise<{ server: Server; origin: string }> {
  const roots: Record<string, string> = { "/sdk/": bundle.outdir, "/ort/": ORT };
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://page").pathname;
    if (path === "/") {
      response.writeHead(200, { "content-type": "text/html" });
      // No favicon request: the only 404 a page would log.
      response.end(
        '<!doctype html><link rel="icon" href="data:,"><title>fedrouter SDK</title><h1>SDK test</h1>',
      );
      return;
    }
    const prefix = Object.keys(roots).find((p) => path.startsWith(p));
    const name = prefix ? path.slice(prefix.length) : "";
    if (!prefix || !/^[\w.-]+$/.test(name)) {
      response.writeHead(404).end();
      return;
    }
    try {
      const body = readFileSync(join(roots[prefix]!, name));
      response.writeHead(200, { "content-type": TYPES[extname(name)] ?? "application/octet-stream" });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  const port = await freePort();
  await new Promise<void>((done) => server.listen(port, "127.0.0.1", done));
  return { server, origin: `http://127.0.0.1:${port}` };
}

/** What the page runs: plain JavaScript, given its arguments as JSON. */
const PAGE_SCRIPT = `async (args) => {
  const sdk = await import(args.module);
  const options = {
    edgeUrl: args.edgeUrl,
    federationId: args.federationId,
    token: args.token,
    modelPublicKey: args.modelPublicKey,
  };
  const wasm = sdk.createClient({
    ...options,
    inference: "onnxruntime",
    backend: "wasm",
    wasmPaths: args.ortPath,
    store: new sdk.IndexedDbStore("fedrouter-sdk-test"),
  });
  const first = await wasm.sync();
  const decision = await wasm.route(args.query, { lambda: args.lambda });
  const again = await wasm.sync();
  const js = sdk.createClient(options);
  const jsDecision = await js.route(args.query, { lambda: args.lambda });
  await wasm.record({ query: args.query, model: decision.model, quality: 1, cost: 0.002 });
  const stored = await wasm.store.all();
  let refused = null;
  try { sdk.createClient({ ...options, token: "frc.bad" }); } catch (error) { refused = error.code; }
  // Personalised routing: a local MLP trained here, on onnxruntime-web, from the page's own records.
  let built = null;
  let byDefault = null;
  // Both personalisers on the same local training. The inverse-error mixture moves its weights on
  // any evidence, so it shows that the page's training reaches the predictions; the default (prior
  // and evidence) may rightly stay at the federation's router on 12 records, so here it is checked
  // to run on the page and give weights in [0, 1] (its arithmetic is tested in Node).
  const adaptive = sdk.adaptivePersonaliser({ method: "inverse-error" });
  const standard = sdk.adaptivePersonaliser();
  const personal = sdk.createClient({
    ...options,
    inference: "onnxruntime",
    backend: "wasm",
    wasmPaths: args.ortPath,
    store: new sdk.MemoryStore(),
    personaliser: {
      personalise: async (global, context) => {
        byDefault = await standard.personalise(global, context);
        return (built = await adaptive.personalise(global, context));
      },
    },
  });
  const models = decision.predictions.map((p) => p.model);
  for (let i = 0; i < 12; i++)
    await personal.record({ query: args.query + " " + i, model: models[0], quality: i % 3 === 0 ? 0 : 1, cost: 0.001 });
  const personalised = await personal.route(args.query, { lambda: args.lambda, mode: "personalised" });
  const mixture = { quality: [...built.mixture.quality], evaluations: built.evaluations };
  const standardMixture = {
    quality: [...byDefault.mixture.quality],
    evaluations: byDefault.evaluations,
    method: byDefault.method,
  };
  return {
    first, again, decision, jsDecision, stored: stored.map((e) => e.query), refused, personalised, mixture, standardMixture,
  };
}`;

describe("the SDK in a browser", () => {
  let edge: DevEdge;
  let browser: Browser;
  let page: { server: Server; origin: string };
  let bundleDir: string;
  let bundle: BrowserBundle;

  beforeAll(async () => {
    bundleDir = mkdtempSync(join(tmpdir(), "fedrouter-bundle-"));
    bundle = await bundleBrowser(bundleDir);
    page = await servePage(bundle);
    edge = await startDevEdge(OPERATOR);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await edge?.stop();
    await new Promise((done) => page?.server.close(done));
    rmSync(bundleDir, { recursive: true, force: true });
  });

  it("fetches the trained model across origins and routes a query on WASM, as the Node SDK does", async () => {
    expect(bundle.inputs.some((p) => p.startsWith("worker/") || p.startsWith("durable-objects/"))).toBe(
      false,
    );
    const owner = new EdgeClient(edge.origin);
    const orgs = await organisations(5, 24, 29);
    const config = federation(orgs[0]!.benchmark, {
      router: { kind: "mlp", hyperparameters: { rounds: 1, hidden: 8, batchSize: 16 } },
    });
    const {
      owner: ownerToken,
      federationId,
      clients,
      sdk,
    } = await enrolSdkClients(owner, OPERATOR, config, orgs);
    // Statistics, one training round, calibration: version 3 is final (clients read final versions).
    await runRounds(owner, ownerToken, federationId, sdk, roundSchedule(3), 3);
    const query = "please explain how photosynthesis works in simple words";
    const lambda = 10;
    expect(await sdk[0]!.sync()).toMatchObject({ version: 3 });
    const inNode = await sdk[0]!.route(query, { lambda });
    expect(inNode.version).toBe(3);

    const tab = await browser.context.newPage();
    const problems: string[] = [];
    const origins = new Set<string>();
    tab.on("console", (message) => {
      if (message.type() === "error") problems.push(message.text());
    });
    tab.on("pageerror", (error) => problems.push(error.message));
    tab.on("request", (request) => origins.add(new URL(request.url()).origin));
    tab.on("response", (response) => {
      if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
    });
    await tab.goto(`${page.origin}/`);
    const args = {
      module: `${page.origin}/sdk/fedrouter-client.js`,
      ortPath: `${page.origin}/ort/`,
      edgeUrl: edge.origin,
      federationId,
      token: clients[0]!.token,
      modelPublicKey: clients[0]!.modelPublicKey,
      query,
      lambda,
    };
    const result = (await tab.evaluate(`(${PAGE_SCRIPT})(${JSON.stringify(args)})`)) as {
      first: { version: number; changed: boolean };
      again: { version: number; changed: boolean };
      decision: RouteDecision;
      jsDecision: RouteDecision;
      stored: string[];
      refused: string | null;
      personalised: RouteDecision;
      mixture: { quality: number[]; evaluations: number };
      standardMixture: { quality: number[]; evaluations: number; method: string };
    };
    expect(result.first).toEqual({ version: 3, changed: true });
    expect(result.again).toEqual({ version: 3, changed: false });
    for (const decision of [result.decision, result.jsDecision]) {
      expect(decision.version).toBe(3);
      expect(decision.model).toBe(inNode.model);
      decision.predictions.forEach((p, j) => {
        expect(p.model).toBe(inNode.predictions[j]!.model);
        expect(p.quality).toBeCloseTo(inNode.predictions[j]!.quality, 4);
        expect(Math.abs(p.cost / inNode.predictions[j]!.cost - 1)).toBeLessThan(1e-3);
      });
    }
    expect(result.stored).toEqual([query]);
    // The personalised mode mixes in the page's own router: the judged model's weight is the
    // inverse-error one, the others 0.5, and the predictions move off the federation's.
    expect(result.mixture.evaluations).toBe(12);
    expect(result.mixture.quality[0]).toBeGreaterThan(0);
    expect(result.mixture.quality[0]).toBeLessThan(1);
    expect(result.mixture.quality.slice(1).every((w) => w === 0.5)).toBe(true);
    expect(result.personalised.version).toBe(3);
    expect(result.personalised.predictions[0]!.quality).not.toBeCloseTo(inNode.predictions[0]!.quality, 4);
    // The default personaliser ran on the page's training too.
    expect(result.standardMixture.method).toBe("prior-evidence");
    expect(result.standardMixture.evaluations).toBe(12);
    expect(result.standardMixture.quality.every((w) => w >= 0 && w <= 1)).toBe(true);
    expect(result.refused).toBe("bad_argument");
    expect(problems).toEqual([]);
    expect([...origins].sort()).toEqual([edge.origin, page.origin].sort());
    await tab.close();
  }, 180_000);
});
