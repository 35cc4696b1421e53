// The load generator's figures (docs/load.md), read from the reports `npm run load` wrote into
// bench/load/ rather than measured here: one full training at hundreds of clients takes tens of
// minutes, far beyond what `npm run bench` should take. The newest report per router and client
// count gives load.<router>.c<N>.round_p50_s, round_p99_s, requests_per_s and peak_mb.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LoadReport } from "../../load/report.ts";
import { round2 } from "../../load/stats.ts";
import type { BenchEntry, BenchSuite } from "../entry.ts";

const folder = join(dirname(fileURLToPath(import.meta.url)), "../load");

/** The newest report per router and client count. */
function newestReports(log: (line: string) => void): LoadReport[] {
  if (!existsSync(folder)) return [];
  const newest = new Map<string, LoadReport>();
  for (const file of readdirSync(folder)
    .filter((name) => name.endsWith(".json"))
    .sort()) {
    let report: LoadReport;
    try {
      report = JSON.parse(readFileSync(join(folder, file), "utf8")) as LoadReport;
    } catch (error) {
      log(`skipping ${file}: ${(error as Error).message}`);
      continue;
    }
    if (typeof report.clients !== "number" || typeof report.router !== "string") {
      log(`skipping ${file}: not a load report`);
      continue;
    }
    const key = `${report.router}.c${report.clients}`;
    const held = newest.get(key);
    if (!held || held.date < report.date) newest.set(key, report);
  }
  return [...newest.values()];
}

/** A run cut short by its timeout is judged on the passes it published. */
function modelNote(report: LoadReport): string {
  if (report.completed)
    return `model ${report.modelMatchesSimulation ? "matches" : "does NOT match"} the simulation`;
  const matching = report.modelCheck.filter((c) => c.matches).length;
  return `${matching} of ${report.modelCheck.length} published passes match the simulation`;
}

export function loadEntries(report: LoadReport): BenchEntry[] {
  const prefix = `load.${report.router}.c${report.clients}`;
  const load = report.loadAverage.before[0];
  const set = Object.entries((report.parameters.hyperparameters ?? {}) as Record<string, unknown>);
  const dimension = report.parameters.dimension;
  const shown = [...set.map(([k, v]) => `${k}=${v}`), ...(dimension !== undefined ? [`d=${dimension}`] : [])];
  const settings = shown.length > 0 ? ` (${shown.join(" ")})` : "";
  const note =
    `dropout ${report.dropout}, ${report.rounds} rounds${settings}${report.completed ? "" : " (timed out)"}, ` +
    `${report.status5xx} 5xx, ${modelNote(report)}, ` +
    `load avg ${load} (${report.date.slice(0, 10)})`;
  // Reports before the proxy was counted apart have no devProxy: their edge figure includes it.
  const {
    edge,
    devProxy = 0,
    generator,
  } = report.peakRssMb as LoadReport["peakRssMb"] & { devProxy?: number };
  return [
    { name: `${prefix}.round_p50_s`, value: report.roundSecondsP50, unit: "s", note },
    { name: `${prefix}.round_p99_s`, value: report.roundSecondsP99, unit: "s", note },
    { name: `${prefix}.requests_per_s`, value: report.requestsPerSecond, unit: "req/s", note },
    {
      name: `${prefix}.peak_mb`,
      value: round2(edge + devProxy + generator),
      unit: "MB",
      note: `peak RSS: edge (workerd) ${edge} + wrangler dev's proxy ${devProxy} + load generator ${generator}`,
    },
  ];
}

export const loadSuite: BenchSuite = {
  name: "load",
  async run({ log }) {
    const reports = newestReports(log);
    if (reports.length === 0)
      log(`no load reports in ${folder}: run npm run load -- --out bench/load/<name>.json`);
    return reports.flatMap(loadEntries);
  },
};
