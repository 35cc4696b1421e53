// The dashboard in headless Chromium (Debian's package, driven by playwright-core) against the
// worker under wrangler dev on 127.0.0.1: it loads, shows a federation after a round with its charts
// and pages, and logs no errors; and an owner creates a federation, enrols, copies and revokes a
// client, and starts a round through the page alone.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededRandom } from "../../core/random.ts";
import {
  type Federation,
  type FederationConfigInput,
  federationConfigSchema,
} from "../../core/wire/federation.ts";
import type { CreatedTenant } from "../../core/wire/tenants.ts";
import { privacySpent } from "../../durable-objects/federation-privacy.ts";
import { seededEvaluationSet } from "../support/evaluation-sets.ts";
import { type Browser, launchChromium } from "./chromium.ts";
import { type DevEdge, startDevEdge } from "./dev-edge.ts";
import { EdgeClient } from "./edge-client.ts";

const OPERATOR = "browser-test-operator";
/** How long the page may take to show what the edge answered (the machine's cores are shared). */
const EDGE_WAIT = { timeout: 15_000 };

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

/** A budget that one round of CONFIG spends about a fifth of (noise small enough for K-means' counts). */
const PRIVACY = { epsilon: 100, delta: 1e-5, noiseMultiplier: 0.3, clipNorm: 10 };

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

  it("shows a federation, its published round, the history charts and pages, with no console errors", async () => {
    const origin = devEdge.origin;
    const edge = new EdgeClient(origin);
    // With a privacy budget: the round's clients add their noise shares, and the page shows the spend.
    const { owner, federationId, clients } = await edge.setUp(OPERATOR, 5, { ...CONFIG, privacy: PRIVACY });
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
    const rounds = section.locator(".paged.rounds");
    await expect.poll(() => rounds.locator("table").textContent(), EDGE_WAIT).toContain("published v1");
    // One round: one page, nothing older or newer.
    expect(await rounds.getByRole("button", { name: "Older" }).isDisabled()).toBe(true);
    expect(await rounds.getByRole("button", { name: "Newer" }).isDisabled()).toBe(true);
    await expect.poll(() => section.locator(".paged.versions tbody tr").count(), EDGE_WAIT).toBe(2);
    for (const chart of [".auc-plot", ".rounds-per-day-plot", ".survivors-plot"])
      await section.locator(`${chart} canvas`).waitFor({ timeout: 15_000 });
    expect(await section.locator(".survivors-plot").textContent()).toContain("survivors");
    expect(await section.textContent()).toContain("updates aggregated: 5");
    // The budget line states what the API states version 1 spent, and the versions table its ε.
    const spent = privacySpent(federationConfigSchema.parse({ ...CONFIG, privacy: PRIVACY }), 1)!;
    expect(await section.locator(".privacy").textContent()).toBe(
      `privacy budget: ε ${spent.epsilon.toFixed(3)} of 100 spent (${Math.round(spent.epsilon)}%, δ 0.00001) over 1 version(s) · noise multiplier 0.3 · clip norm 10`,
    );
    expect(await section.locator(".paged.versions tbody").textContent()).toContain(spent.epsilon.toFixed(3));
    // The token left the address bar once read.
    expect(page.url()).toBe(`${origin}/`);
    expect(problems).toEqual([]);
    expect(foreignRequests).toEqual([]);
    await page.close();
  }, 120_000);

  it("creates a federation, enrols a client with its token shown once and copied, revokes it and reports a refused round", async () => {
    const origin = devEdge.origin;
    const edge = new EdgeClient(origin);
    const tenant = await edge.request<CreatedTenant>("POST", "/v1/tenants", OPERATOR, { name: "page owner" });
    const owner = tenant.ownerToken.token;
    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin });
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on("console", (message) => {
      // The refused round below is an expected 409; Chromium logs every refused fetch.
      if (message.type() === "error" && message.text().includes("409")) return;
      if (message.type() === "error" || message.type() === "warning") problems.push(message.text());
    });
    page.on("pageerror", (error) => problems.push(error.message));
    await page.goto(`${origin}/#token=${owner}`);
    await expect.poll(() => page.locator("#status").textContent(), EDGE_WAIT).toContain("0 federation(s)");

    await page.locator("#create summary").click();
    await page.getByLabel("Name").fill("made on the page");
    await page.getByLabel("Router").selectOption("mlp");
    await page.getByLabel("Models").fill("cheap-llm 0.2 0.8\ndear-llm 5 20\nmid-llm 1 4");
    await page.getByLabel("Embedder id").fill("hashing-4");
    await page.getByLabel("Dimension").fill("4");
    await page.getByLabel("Training").selectOption("continuous");
    await page.getByLabel("Checked-in clients").fill("6");
    await page.getByLabel("Longest wait (s)").fill("600");
    await page.getByLabel("Retrain after").fill("40");
    await page.getByRole("button", { name: "Create federation" }).click();
    await expect.poll(() => page.locator("#create-status").textContent(), EDGE_WAIT).toMatch(/^created /);
    const federationId = (await page.locator("#create-status").textContent())!.replace("created ", "");
    const created = await edge.request<Federation>("GET", `/v1/federations/${federationId}`, owner);
    expect(created.config).toMatchObject({
      name: "made on the page",
      router: { kind: "mlp" },
      models: [
        { id: "cheap-llm", inputPrice: 0.2, outputPrice: 0.8 },
        { id: "dear-llm", inputPrice: 5, outputPrice: 20 },
        { id: "mid-llm", inputPrice: 1, outputPrice: 4 },
      ],
      embedder: { id: "hashing-4", dimension: 4 },
      roundPolicy: { cohortSize: 5, minParticipants: 5 },
      // The majority of each client and its 4 neighbours on the complete graph of 5.
      secureAggregation: { threshold: 3, neighbourDegree: "complete" },
      clipping: { min: -1000, max: 1000 },
      schedule: { kind: "continuous", minClients: 6, maxWaitSeconds: 600, retrainAfterEvaluations: 40 },
    });

    const section = page.locator(`section[data-federation="${federationId}"]`);
    await expect
      .poll(() => section.locator(".training").textContent(), EDGE_WAIT)
      .toMatch(/^training: continuous · waiting for clients · 0 of 6 clients checked in/);
    await section.getByLabel("client label").fill("pharmacy");
    await section.getByRole("button", { name: "Enrol client" }).click();
    const tokenField = section.locator(".client-token");
    await tokenField.waitFor({ timeout: 15_000 });
    const clientToken = await tokenField.inputValue();
    expect(clientToken).toMatch(new RegExp(`^frc\\.${federationId}\\.`));
    await section.getByRole("button", { name: "Copy" }).click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText()), EDGE_WAIT).toBe(clientToken);
    // The token the page showed is the client's: the edge lets it read its federation.
    const asClient = await fetch(`${origin}/v1/federations/${federationId}`, {
      headers: { authorization: `Bearer ${clientToken}` },
    });
    expect(asClient.status).toBe(200);
    await expect.poll(() => section.locator(".clients table").textContent(), EDGE_WAIT).toContain("pharmacy");

    // One client is below the round's cohort: the edge refuses and the page says why.
    await section.getByRole("button", { name: "Start round" }).click();
    const actions = section.locator(".actions .action-status");
    await expect.poll(() => actions.getAttribute("class"), EDGE_WAIT).toContain("error");
    expect(await actions.textContent()).toMatch(/^\w+: /);

    // Pause and resume the schedule from the page: the edge's view follows.
    const trainingState = async () =>
      (await edge.request<Federation>("GET", `/v1/federations/${federationId}`, owner)).training.state;
    await section.getByRole("button", { name: "Pause training" }).click();
    await expect.poll(() => actions.textContent(), EDGE_WAIT).toBe("paused");
    expect(await trainingState()).toBe("paused");
    await section.getByRole("button", { name: "Resume training" }).click();
    await expect.poll(() => actions.textContent(), EDGE_WAIT).toBe("resumed");
    expect(await trainingState()).not.toBe("paused");

    page.once("dialog", (dialog) => dialog.accept());
    await section.getByRole("button", { name: "Revoke" }).click();
    await expect
      .poll(() => section.locator(".clients-panel > .action-status").textContent())
      .toMatch(/^revoked /);
    const revoked = await fetch(`${origin}/v1/federations/${federationId}`, {
      headers: { authorization: `Bearer ${clientToken}` },
    });
    expect(revoked.status).toBe(401);
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  it("pages the rounds table ten at a time through the list route's Link header, and starts a round", async () => {
    const origin = devEdge.origin;
    const edge = new EdgeClient(origin);
    const { owner, federationId } = await edge.setUp(OPERATOR, 5, { ...CONFIG, name: "many rounds" });
    // Eleven rounds, each opened and aborted by the owner: more than one page.
    for (let i = 0; i < 11; i++) {
      await edge.request("POST", `/v1/federations/${federationId}/rounds`, owner);
      await edge.request("POST", `/v1/federations/${federationId}/rounds/current/abort`, owner);
    }
    const page = await browser.context.newPage();
    await page.goto(`${origin}/#token=${owner}`);
    const rounds = page.locator(`section[data-federation="${federationId}"] .paged.rounds`);
    const firstColumn = () => rounds.locator("tbody tr td:first-child").allTextContents();
    await expect.poll(firstColumn, EDGE_WAIT).toEqual(["11", "10", "9", "8", "7", "6", "5", "4", "3", "2"]);
    await rounds.getByRole("button", { name: "Older" }).click();
    await expect.poll(firstColumn, EDGE_WAIT).toEqual(["1"]);
    expect(await rounds.getByRole("button", { name: "Older" }).isDisabled()).toBe(true);
    await rounds.getByRole("button", { name: "Newer" }).click();
    await expect.poll(firstColumn, EDGE_WAIT).toHaveLength(10);
    // Starting a round from the page opens it on the edge and brings the table back to the newest page.
    await rounds.getByRole("button", { name: "Older" }).click();
    await expect.poll(firstColumn, EDGE_WAIT).toEqual(["1"]);
    const section = page.locator(`section[data-federation="${federationId}"]`);
    await section.getByRole("button", { name: "Start round" }).click();
    await expect
      .poll(() => section.locator(".actions .action-status").textContent(), EDGE_WAIT)
      .toBe("round 12 started");
    await expect.poll(firstColumn, EDGE_WAIT).toHaveLength(10);
    expect((await firstColumn())[0]).toBe("12");
    expect(await rounds.locator("tbody tr").first().textContent()).toContain("in progress");
    await page.close();
  }, 120_000);
});
