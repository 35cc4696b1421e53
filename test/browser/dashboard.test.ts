// The dashboard in headless Chromium (Debian's package, driven by playwright-core) against the
// worker under wrangler dev on 127.0.0.1: it loads, shows a federation after a round, and logs no errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededRandom } from "../../core/random.ts";
import type { FederationConfigInput } from "../../core/wire/federation.ts";
import { seededEvaluationSet } from "../support/evaluation-sets.ts";
import { type Browser, launchChromium } from "./chromium.ts";
import { type DevEdge, startDevEdge } from "./dev-edge.ts";
import { EdgeClient } from "./edge-client.ts";

const OPERATOR = "browser-test-operator";

/** A small K-means federation: one cluster over a 4-d embedder, so one round publishes a model. */
const CONFIG: FederationConfigInput = {
  name: "support triage",
  router: { kind: "kmeans", hyperparameters: { clusters: 1 } },
  models: [
    { id: "small-model", inputPrice: 0.1, outputPrice: 0.4 },
    { id: "large-model", inputPrice: 3, outputPrice: 15 },
  ],
  embedder: { id: "hashing-4", dimension: 4 },
  // Five clients, the platform's minimum cohort and survivors; t = 3 is their majority.
  roundPolicy: {
    cohortSize: 5,
    minParticipants: 5,
    participationFraction: 1,
    deadlines: { advertiseKeys: 60, shareKeys: 60, maskedInput: 60, unmask: 60 },
  },
  secureAggregation: { threshold: 3, neighbourDegree: "complete", curve: "X25519" },
  clipping: { min: -100, max: 100 },
};

describe("dashboard in a browser", () => {
  let devEdge: DevEdge;
  let browser: Browser;

  beforeAll(async () => {
    devEdge = await startDevEdge(OPERATOR);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await devEdge?.stop();
  });

  it("shows a federation, its published round and the AUC plot, with no console errors", async () => {
    const origin = devEdge.origin;
    const edge = new EdgeClient(origin);
    const { owner, federationId, clients } = await edge.setUp(OPERATOR, 5, CONFIG);
    const random = seededRandom(5);
    const sets = clients.map(() => seededEvaluationSet(random, { queries: 5, dimension: 4, models: 2 }));
    const round = await edge.runRound(owner, federationId, clients, sets);
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

    const page = await browser.context.newPage();
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
    expect(await section.textContent()).toContain("updates aggregated: 5");
    // The token left the address bar once read.
    expect(page.url()).toBe(`${origin}/`);
    expect(problems).toEqual([]);
    expect(foreignRequests).toEqual([]);
    await page.close();
  }, 120_000);
});
