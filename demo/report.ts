// The main job's HTML report: per router, every organisation's AUC for its local and the federated
// router, the global figures, the rounds run over the edge, and the accuracy-cost curves drawn
// with uPlot. uPlot's script and style are inlined, so the file opens offline from anywhere.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { routerKind } from "../core/routers/registry.ts";
import type { ExperimentResult } from "../experiments/harness.ts";
import { baselineLine, baselineNames, clientCells, f } from "../experiments/table.ts";
import type { RoundRecord } from "./rounds.ts";

export interface RouterReport {
  result: ExperimentResult;
  edge: { federationId: string; version: number; sha256: string; rounds: RoundRecord[] };
}

export interface ReportInput {
  dataset: string;
  seed: number;
  generatedAt: string;
  /** The dashboard (owner token in the fragment); it answers while the edge runs. */
  dashboardUrl: string;
  serving: boolean;
  routers: RouterReport[];
}

export interface ReportAssets {
  uplotJs: string;
  uplotCss: string;
}

/** uPlot's browser build and style from node_modules. */
export function uplotAssets(): ReportAssets {
  const require = createRequire(import.meta.url);
  const read = (file: string) => readFileSync(require.resolve(`uplot/dist/${file}`), "utf8");
  return { uplotJs: read("uPlot.iife.min.js"), uplotCss: read("uPlot.min.css") };
}

const escapeHtml = (text: string): string =>
  text.replace(
    /[<>&"']/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );

/** JSON safe inside a <script> element. */
const scriptJson = (value: unknown): string =>
  JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028|\u2029/g, " ");

function table(head: string[], rows: string[][], className = ""): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`).join("\n");
  return `<table class="${className}"><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function organisationTable(result: ExperimentResult): string {
  const baselines = baselineNames(result);
  const rows = result.clients.map((c) => clientCells(c, baselines));
  return table(
    [
      "organisation",
      "train",
      "test",
      "local",
      "federated (edge)",
      "centralised",
      ...baselines,
      "fed − local",
    ],
    rows,
    "numbers",
  );
}

function globalTable(result: ExperimentResult): string {
  return table(Object.keys(result.global), [Object.values(result.global).map(f)], "numbers");
}

function roundsTable(rounds: readonly RoundRecord[]): string {
  const rows = rounds.map((r) => [
    String(r.round),
    r.phase,
    String(r.cohort.length),
    r.dropped.map((d) => `org ${d.organisation} after ${d.stopAfter}`).join(", "),
    String(r.dropouts),
    String(r.version),
    r.seconds.toFixed(1),
  ]);
  return table(["round", "model after it", "cohort", "dropped", "dropouts", "version", "seconds"], rows);
}

/** The curves of one result as uPlot data: one x (cost) column shared by all, gaps elsewhere. */
export function plotData(result: ExperimentResult) {
  const curves = Object.entries(result.curves).sort(([a], [b]) => rank(a) - rank(b));
  // Each single model is one point; together they are one series of points.
  const singles = { name: "single models", points: result.singleModels };
  const all = [...curves.map(([name, points]) => ({ name, points })), singles];
  const xs = [...new Set(all.flatMap((s) => s.points.map((p) => Math.max(p.cost, 1e-12))))].sort(
    (a, b) => a - b,
  );
  const column = new Map(xs.map((x, i) => [x, i]));
  const series = all.map((s) => {
    const ys: (number | null)[] = xs.map(() => null);
    for (const p of s.points) ys[column.get(Math.max(p.cost, 1e-12))!] = p.quality;
    return ys;
  });
  return {
    names: all.map((s) => s.name),
    /** The last series is points only. */
    pointSeries: 1,
    data: [xs, ...series],
  };
}

/** Client-local curves first, the federated router last (drawn on top). */
function rank(name: string): number {
  return name.startsWith("local-") ? 0 : name === "federated" ? 2 : 1;
}

const PLOT_SCRIPT = `
const STYLE = {
  oracle: { stroke: "#222", width: 2, dash: [6, 4] },
  centralised: { stroke: "#9ecae1", width: 6 },
  federated: { stroke: "#d1495b", width: 2.5 },
  pooled: { stroke: "#8e6c8a", width: 1.5, dash: [3, 3] },
  queryBlind: { stroke: "#555", width: 1.5, dash: [2, 3] },
  taskLookup: { stroke: "#6a994e", width: 1.5, dash: [8, 3] },
};
for (const el of document.querySelectorAll("[data-plot]")) {
  const plot = JSON.parse(document.getElementById(el.dataset.plot).textContent);
  const curves = plot.names.length - plot.pointSeries;
  const series = [{ label: "cost (USD)" }].concat(plot.names.map((name, i) => {
    if (i >= curves)
      return { label: name, stroke: "#f4a261", fill: "#f4a261", paths: () => null,
        points: { show: true, size: 8, fill: "#f4a261" } };
    const local = name.startsWith("local-");
    const style = STYLE[name] || { stroke: "#bbb", width: 1 };
    return { label: local ? "local " + name.slice(6) : name, stroke: style.stroke, width: style.width,
      dash: style.dash, spanGaps: true, points: { show: false }, show: true };
  }));
  new uPlot({
    width: Math.min(920, el.clientWidth || 920), height: 440,
    scales: { x: { time: false, distr: 3 } },
    series,
    axes: [
      { label: "mean cost per query (USD, log scale)",
        values: (u, vals) => vals.map((v) => (v == null ? "" : v.toExponential(0))) },
      { label: "mean quality" },
    ],
    legend: { live: false },
  }, plot.data, el);
}`;

export function reportHtml(input: ReportInput, assets: ReportAssets): string {
  const sections = input.routers.map(({ result, edge }, i) => {
    const wins = result.clients.filter((c) => c.ownTest.federated > c.ownTest.local).length;
    const dropped = edge.rounds.flatMap((r) => r.dropped.map((d) => ({ round: r.round, ...d })));
    const id = `plot-${i}`;
    const baselines = baselineLine(result);
    return `<section>
<h2>${escapeHtml(`${routerKind(result.router).label} router`)}</h2>
<p>Federation <code>${escapeHtml(edge.federationId)}</code>: ${edge.rounds.length} secure rounds, final model version
${edge.version} (sha256 <code>${escapeHtml(edge.sha256.slice(0, 16))}…</code>), fetched by every organisation.
${dropped.length} dropout drill${dropped.length === 1 ? "" : "s"}${dropped.length ? `: ${escapeHtml(dropped.map((d) => `organisation ${d.organisation} stopped after ${d.stopAfter} in round ${d.round}`).join("; "))}` : ""}.
The federated router beats the organisation's own local router for ${wins} of ${result.clients.length} organisations.</p>
${baselines ? `<p>Against routers that ignore the query (<code>queryBlind</code>: each model's mean) or know only its task label (<code>taskLookup</code>), fitted on the same judged cells. Global test set: ${escapeHtml(baselines.replace(/^baselines, global: /, ""))}.</p>` : ""}
<h3>Each organisation on its own test set (normalised AUC)</h3>
${organisationTable(result)}
<h3>Global test set</h3>
${globalTable(result)}
<h3>Accuracy and cost</h3>
<div class="plot" data-plot="${id}-data"></div>
<script type="application/json" id="${id}-data">${scriptJson(plotData(result))}</script>
<details><summary>Rounds</summary>
${roundsTable(edge.rounds)}
</details>
</section>`;
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>fedrouter: organisations learning one router</title>
<style>${assets.uplotCss}</style>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 960px; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #ddd; padding: 0.25rem 0.6rem; }
th { background: #f5f5f5; text-align: left; }
table.numbers td { text-align: right; font-variant-numeric: tabular-nums; }
section { margin-top: 2.5rem; }
code { background: #f5f5f5; padding: 0 0.2rem; }
.plot { width: 100%; }
</style>
</head>
<body>
<h1>Organisations learning one router</h1>
<p>${escapeHtml(input.dataset)}, seed ${input.seed}, generated ${escapeHtml(input.generatedAt)}. Ten organisations,
each an SDK client holding only its own share of the data, trained the routers over the local edge with
secure aggregation: the edge saw sums only. AUCs are the normalised area under each router's
accuracy-cost curve (100 lambdas), on each organisation's own test set and on all of them together.</p>
<p>Dashboard: <a href="${escapeHtml(input.dashboardUrl)}">${escapeHtml(input.dashboardUrl.replace(/#.*/, ""))}</a>
${input.serving ? "(running: <code>npm start -- --serve</code>)" : "(answers while the edge runs: <code>npm start -- --serve</code>)"}</p>
${sections.join("\n")}
<script>${assets.uplotJs}</script>
<script>${PLOT_SCRIPT}</script>
</body>
</html>
`;
}
