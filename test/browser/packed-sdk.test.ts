// The SDK as users get it: `npm pack` of client-sdk (built first), the tarball installed into a
// fresh project outside the repository that has nothing but what the package declares, and the
// README's quickstart (client-sdk/examples/quickstart.ts, importing `@fedrouter/client` instead of
// the sources) run against a local edge: in Node, and bundled by esbuild from that project for a
// page in Chromium. Five SDK clients from the sources train the federation first.
import { execFileSync, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshCopy, ROOT } from "../node/e2e/fresh-copy.ts";
import { enrolSdkClients, federation, organisations } from "../node/e2e/organisations.ts";
import { type Browser, launchChromium } from "./chromium.ts";
import { type DevEdge, freePort, startDevEdge } from "./dev-edge.ts";
import { EdgeClient } from "./edge-client.ts";

const OPERATOR = "packed-sdk-operator";
const work = mkdtempSync(join(tmpdir(), "fedrouter-packed-"));
const copy = freshCopy();
let edge: DevEdge;
let browser: Browser | undefined;
let server: Server | undefined;

/** The quickstart as an app imports it: from the package, not from the repository's sources. */
function quickstartForApp(): string {
  const source = readFileSync(join(ROOT, "client-sdk/examples/quickstart.ts"), "utf8");
  const app = source
    .replace('from "../src/file-store.ts"', 'from "@fedrouter/client/file-store"')
    .replace('from "../src/index.ts"', 'from "@fedrouter/client"');
  expect(app).not.toMatch(/from "\.\.?\//);
  return app;
}

/** The same quickstart for a page: IndexedDB instead of the file store, and no command line. */
function quickstartForPage(app: string): string {
  const page = app
    .replace(/^import \{ fileURLToPath \} from "node:url";\n/m, "")
    .replace(/^import \{ FileStore \} from "@fedrouter\/client\/file-store";\n/m, "")
    .replace(
      'import { createClient, FedRouterError } from "@fedrouter/client";',
      'import { createClient, FedRouterError, IndexedDbStore } from "@fedrouter/client";',
    )
    .replace("store: new FileStore(storePath),", "store: new IndexedDbStore(storePath),")
    .replace(/\nif \(process\.argv\[1\][\s\S]*$/, "\n");
  expect(page).not.toMatch(/node:|FileStore|process\./);
  return page;
}

const run = (command: string, args: string[], cwd: string) =>
  execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 240_000 });

let tarball: string;
const app = join(work, "app");

beforeAll(async () => {
  // Build and pack the package from a fresh copy (its dist/ is the only thing packed).
  const sdk = join(copy.dir, "client-sdk");
  run("npm", ["run", "build"], sdk);
  const packed = run("npm", ["pack", "--pack-destination", work], sdk).trim().split("\n").at(-1)!;
  tarball = join(work, packed);
  // A project of its own: only the tarball and what it declares, from the (warm) npm cache.
  mkdirSync(app);
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({ name: "quickstart-app", private: true, type: "module" }),
  );
  run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball], app);
  edge = await startDevEdge(OPERATOR);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((done) => (server ? server.close(done) : done(undefined)));
  await edge?.stop();
  copy.remove();
  rmSync(work, { recursive: true, force: true });
});

describe("the packed SDK in a fresh project", () => {
  it("installs with its declared dependencies only and runs the quickstart in Node and in Chromium", async () => {
    // What the tarball holds and what got installed.
    const listing = run("tar", ["-tzf", tarball], work);
    expect(listing).toContain("package/dist/client-sdk/src/index.js");
    expect(listing).toContain("package/dist/client-sdk/src/index.d.ts");
    expect(listing).not.toMatch(/package\/(src|examples|scripts)\//);
    const declared = JSON.parse(readFileSync(join(ROOT, "client-sdk/package.json"), "utf8"));
    const installed = JSON.parse(readFileSync(join(app, "package.json"), "utf8")).dependencies;
    expect(Object.keys(installed)).toEqual(["@fedrouter/client"]);
    for (const name of Object.keys(declared.dependencies))
      expect(existsSync(join(app, "node_modules", name))).toBe(true);
    expect(readdirSync(join(app, "node_modules"))).not.toContain("hono");

    // A trained K-means federation; the quickstart is one of its five clients.
    const owner = new EdgeClient(edge.origin);
    const orgs = await organisations(5, 16, 41);
    const config = federation(orgs[0]!.benchmark, {
      router: { kind: "kmeans", hyperparameters: { clusters: 1 } },
    });
    const setUp = await enrolSdkClients(owner, OPERATOR, config, orgs);
    for (let pass = 0; pass < 10; pass++) {
      const path = `/v1/federations/${setUp.federationId}/rounds`;
      const opened = await owner.request<{ round: number }>("POST", path, setUp.owner).catch((e: Error) => e);
      if (opened instanceof Error) {
        expect(opened.message).toContain("final");
        break;
      }
      await Promise.all(setUp.sdk.map((client) => client.participate({ round: opened.round })));
    }
    const version = (await setUp.sdk[0]!.sync()).version;
    expect(version).toBeGreaterThan(0);
    const client = setUp.clients[4]!;

    // Node: the quickstart file as an app has it, run by the project's node with the package installed.
    const source = quickstartForApp();
    writeFileSync(join(app, "quickstart.ts"), source);
    const store = join(app, "evaluations.jsonl");
    const started = performance.now();
    const node = spawnSync(
      process.execPath,
      ["quickstart.ts", edge.origin, setUp.federationId, client.token, client.modelPublicKey, store],
      { cwd: app, encoding: "utf8", timeout: 120_000 },
    );
    console.log(`quickstart in Node: ${((performance.now() - started) / 1000).toFixed(1)} s`);
    expect(node.status, node.stderr).toBe(0);
    expect(node.stdout).toContain(`router version ${version}`);
    const chosen = node.stdout.match(/^-> (.+)$/m)?.[1];
    expect(config.models.map((m) => m.id)).toContain(chosen);
    expect(node.stdout).toMatch(/no round this time \(round\): training has finished/);
    expect(readFileSync(store, "utf8")).toContain(`"model":"${chosen}"`);

    // Chromium: the page's quickstart bundled from the project (esbuild resolves the package there).
    writeFileSync(join(app, "page.ts"), quickstartForPage(source));
    const out = join(work, "page");
    await build({
      entryPoints: [join(app, "page.ts")],
      absWorkingDir: app,
      bundle: true,
      format: "esm",
      splitting: true,
      platform: "browser",
      target: "es2022",
      outdir: out,
      logLevel: "error",
    });
    const port = await freePort();
    server = createServer((request, response) => {
      const name = new URL(request.url ?? "/", "http://page").pathname.slice(1);
      if (name === "") {
        response
          .writeHead(200, { "content-type": "text/html" })
          .end('<!doctype html><link rel="icon" href="data:,"><title>app</title>');
      } else if (/^[\w.-]+\.js$/.test(name) && existsSync(join(out, name))) {
        response.writeHead(200, { "content-type": "text/javascript" }).end(readFileSync(join(out, name)));
      } else response.writeHead(404).end();
    });
    await new Promise<void>((done) => server!.listen(port, "127.0.0.1", done));
    browser = await launchChromium();
    const tab = await browser.context.newPage();
    const logged: string[] = [];
    tab.on("console", (message) => logged.push(message.text()));
    await tab.goto(`http://127.0.0.1:${port}/`);
    const args = [
      edge.origin,
      setUp.federationId,
      setUp.clients[3]!.token,
      setUp.clients[3]!.modelPublicKey,
      "quickstart",
    ];
    const decision = (await tab.evaluate(
      `import("/page.js").then((m) => m.quickstart(...${JSON.stringify(args)}))`,
    )) as { model: string; version: number };
    expect(decision.version).toBe(version);
    expect(config.models.map((m) => m.id)).toContain(decision.model);
    expect(logged).toContain(`router version ${version}`);
    expect(logged.some((line) => line.startsWith("no round this time (round)"))).toBe(true);
  }, 300_000);
});
