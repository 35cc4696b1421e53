// The dashboard in headless Chromium (Debian's package, driven by playwright-core) against the
// worker under wrangler dev on 127.0.0.1: it loads, shows a federation after a round, and logs no errors.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Unstable_DevWorker, unstable_dev } from "wrangler";
import { EdgeClient } from "./edge-client.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const OPERATOR = "browser-test-operator";

function freePort(): Promise<number> {
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

describe("dashboard in a browser", () => {
  let worker: Unstable_DevWorker;
  let browser: BrowserContext;
  let state: string;
  let profile: string;

  beforeAll(async () => {
    state = mkdtempSync(join(tmpdir(), "fedrouter-dev-"));
    profile = mkdtempSync(join(tmpdir(), "fedrouter-chromium-"));
    worker = await unstable_dev("test/worker/support/edge-with-mean.ts", {
      config: "wrangler.toml",
      ip: "127.0.0.1",
      port: await freePort(),
      inspectorPort: await freePort(),
      persistTo: state,
      envFiles: [],
      vars: { OPERATOR_TOKEN: OPERATOR },
      logLevel: "warn",
      experimental: { disableExperimentalWarning: true },
    });
    // A fresh profile directory (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    rmSync(state, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  });

  it("shows a federation, its published round and the AUC plot, with no console errors", async () => {
    const origin = `http://127.0.0.1:${worker.port}`;
    const edge = new EdgeClient(origin);
    const { owner, federationId, clients } = await edge.setUp(OPERATOR, 4);
    const round = await edge.runRound(owner, federationId, clients);
    expect(round.outcome).toEqual({ kind: "published", version: 1 });
    for (const [version, auc] of [
      [0, 0.61],
      [1, 0.68],
    ] as const)
      await edge.request(
        "POST",
        `/v1/federations/${federationId}/models/${version}/evaluations`,
        clients[0]!.token,
        {
          auc,
          examples: 50,
        },
      );

    const page = await browser.newPage();
    const problems: string[] = [];
    const foreignRequests: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(error.message));
    page.on("request", (request) => {
      if (!request.url().startsWith(origin) && !request.url().startsWith("data:"))
        foreignRequests.push(request.url());
    });
    await page.goto(`${origin}/#token=${owner}`);
    const section = page.locator(`section[data-federation="${federationId}"]`);
    await section.waitFor({ timeout: 15_000 });
    await expect.poll(() => section.locator("table").first().textContent()).toContain("published v1");
    await section.locator(".auc-plot canvas").waitFor({ timeout: 15_000 });
    expect(await section.textContent()).toContain("updates aggregated: 4");
    // The token left the address bar once read.
    expect(page.url()).toBe(`${origin}/`);
    expect(problems).toEqual([]);
    expect(foreignRequests).toEqual([]);
    await page.close();
  }, 120_000);
});
