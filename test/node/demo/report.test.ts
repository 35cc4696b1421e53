// The main job's HTML report and terminal table: every organisation's local and federated AUC,
// the global figures, the rounds, and the curves as uPlot data, in one file that needs no network.
import { describe, expect, it } from "vitest";
import { syntheticBenchmark } from "../../../core/data/synthetic.ts";
import { hashingEmbedder } from "../../../core/embedder/hashing.ts";
import { kmeansKind } from "../../../core/kmeans/kind.ts";
import { plotData, type RouterReport, reportHtml, uplotAssets } from "../../../demo/report.ts";
import type { RoundRecord } from "../../../demo/rounds.ts";
import { organisationTable, summaryText } from "../../../demo/summary.ts";
import { type ExperimentResult, runExperiment } from "../../../experiments/harness.ts";

async function smallResult(): Promise<ExperimentResult> {
  const benchmark = {
    ...syntheticBenchmark({ seed: 5, queries: 240, models: 3 }),
    name: 'demo <b>"data"</b>',
  };
  return runExperiment(benchmark, {
    seed: 5,
    clients: 4,
    kind: await kmeansKind.experiment({ clusters: 2 }),
    embedder: hashingEmbedder({ dimension: 64 }),
  });
}

const round = (n: number, dropped: RoundRecord["dropped"] = []): RoundRecord => ({
  round: n,
  pass: n - 1,
  cohort: [0, 1, 2, 3],
  participants: [0, 1, 2, 3],
  dropped,
  version: n,
  dropouts: dropped.length,
  clipped: 0,
  phase: "lloyd, 2 clusters",
  seconds: 1.25,
});

describe("the main job's report", () => {
  it("shows each organisation's local and federated AUC, the rounds and the curves, offline", async () => {
    const result = await smallResult();
    const report: RouterReport = {
      result,
      edge: {
        federationId: "fed_0123456789abcdef",
        version: 2,
        sha256: "ab".repeat(32),
        rounds: [round(1), round(2, [{ organisation: 3, stopAfter: "masked_input" }])],
      },
    };
    const assets = uplotAssets();
    expect(assets.uplotJs.length).toBeGreaterThan(10_000);
    const html = reportHtml(
      {
        dataset: result.dataset,
        seed: 5,
        generatedAt: "2026-01-01T00:00:00Z",
        dashboardUrl: "http://127.0.0.1:8787/#token=fro.x",
        serving: false,
        routers: [report],
      },
      assets,
    );
    for (const client of result.clients) {
      expect(html).toContain(`<td>${client.ownTest.local.toFixed(3)}</td>`);
      expect(html).toContain(`<td>${client.ownTest.federated.toFixed(3)}</td>`);
    }
    expect(html).toContain(`<td>${result.global.oracle.toFixed(3)}</td>`);
    // The baselines sit beside the routers, per organisation and globally.
    expect(html).toMatch(/<th>centralised<\/th><th>queryBlind<\/th><th>taskLookup<\/th>/);
    for (const client of result.clients) {
      expect(html).toContain(`<td>${client.ownTest.queryBlind!.toFixed(3)}</td>`);
      expect(html).toContain(`<td>${client.ownTest.taskLookup!.toFixed(3)}</td>`);
    }
    const margin = result.global.federated - result.global.taskLookup!;
    expect(html).toContain(`federated - taskLookup ${margin >= 0 ? "+" : ""}${margin.toFixed(3)}`);
    expect(html).toContain("organisation 3 stopped after masked_input in round 2");
    expect(html).toContain("fed_0123456789abcdef");
    // The data set's name is text, not markup.
    expect(html).toContain("demo &lt;b&gt;&quot;data&quot;&lt;/b&gt;");
    expect(html).not.toContain("<b>");
    // uPlot is inline: no script or style is fetched from anywhere.
    expect(html).toContain(assets.uplotJs);
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+href=/);
    const json = html.match(/<script type="application\/json" id="plot-0-data">(.*?)<\/script>/s)?.[1];
    expect(JSON.parse(json!)).toEqual(JSON.parse(JSON.stringify(plotData(result))));
  });

  it("lays every curve and the single models on one ascending cost axis", async () => {
    const result = await smallResult();
    const plot = plotData(result);
    const [xs, ...series] = plot.data as [number[], ...(number | null)[][]];
    expect(xs.length).toBeGreaterThan(1);
    for (let i = 1; i < xs.length; i++) expect(xs[i]!).toBeGreaterThan(xs[i - 1]!);
    expect(plot.names).toContain("federated");
    expect(plot.names.at(-1)).toBe("single models");
    expect(series).toHaveLength(plot.names.length);
    const federated = series[plot.names.indexOf("federated")]!;
    expect(federated.filter((y) => y !== null)).toHaveLength(
      new Set(result.curves.federated!.map((p) => p.cost)).size,
    );
    const singles = series.at(-1)!.filter((y) => y !== null);
    expect(singles.length).toBe(new Set(result.singleModels.map((s) => s.cost)).size);
  });

  it("prints one row per organisation with both routers side by side", async () => {
    const result = await smallResult();
    const edge = { federationId: "fed_0123456789abcdef", version: 1, sha256: "00", rounds: [round(1)] };
    const table = organisationTable([
      { result, edge },
      { result: { ...result, router: "mlp" }, edge },
    ]);
    const lines = table.split("\n");
    expect(lines[0]).toMatch(
      /K-means local \| K-means federated \| MLP local \| MLP federated \| queryBlind \| taskLookup \|$/,
    );
    expect(lines).toHaveLength(2 + result.clients.length);
    const c = result.clients[2]!;
    const cells = lines[4]!.split("|").map((cell) => cell.trim());
    expect(cells.slice(1, 10)).toEqual([
      String(c.id),
      String(c.nTrain),
      String(c.nTest),
      c.ownTest.local.toFixed(3),
      c.ownTest.federated.toFixed(3),
      c.ownTest.local.toFixed(3),
      c.ownTest.federated.toFixed(3),
      c.ownTest.queryBlind!.toFixed(3),
      c.ownTest.taskLookup!.toFixed(3),
    ]);
  });

  it("prints each router's margins over the baselines below its global figures", async () => {
    const result = await smallResult();
    const edge = { federationId: "fed_0123456789abcdef", version: 1, sha256: "00", rounds: [round(1)] };
    const text = summaryText([{ result, edge }]);
    const signed = (v: number) => `${v >= 0 ? "+" : ""}${v.toFixed(3)}`;
    const margins = ["queryBlind", "taskLookup"].map(
      (name) => `federated - ${name} ${signed(result.global.federated - result.global[name]!)}`,
    );
    const line = text.split("\n").find((l) => l.startsWith("baselines, global:"));
    expect(line).toContain(margins.join(", "));
    expect(text).toMatch(/\| queryBlind \| taskLookup \| pooled \|/);
  });
});
