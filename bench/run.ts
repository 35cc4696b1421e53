// Runs every benchmark suite, writes bench/results.json and a Markdown table beside it.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchEntry } from "./entry.ts";
import { type SuiteEntry, suites } from "./suites/index.ts";

const here = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv: string[]): { only: string[]; dataDir: string } {
  const only: string[] = [];
  let dataDir = resolve(here, "../../shared/data");
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--only") only.push(...(argv[++i] ?? "").split(","));
    else if (arg === "--data") dataDir = resolve(argv[++i] ?? "");
    else throw new Error(`unknown flag ${arg}; use --only <suite,...> or --data <dir>`);
  }
  return { only, dataDir };
}

function table(entries: BenchEntry[]): string {
  const rows = entries.map((e) => `| ${e.name} | ${formatValue(e.value)} | ${e.unit} | ${e.note ?? ""} |`);
  return ["| benchmark | value | unit | note |", "| --- | ---: | --- | --- |", ...rows].join("\n");
}

function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude >= 100) return value.toFixed(1);
  if (magnitude >= 1) return value.toFixed(3);
  return value.toPrecision(3);
}

async function main(): Promise<void> {
  const { only, dataDir } = parseArgs(process.argv.slice(2));
  const unknown = only.filter((name) => !suites.some((s) => s.name === name));
  if (unknown.length)
    throw new Error(`unknown suite ${unknown.join(", ")}; suites: ${suites.map((s) => s.name).join(", ")}`);
  const chosen: SuiteEntry[] = only.length ? suites.filter((s) => only.includes(s.name)) : suites;
  if (!existsSync(dataDir)) console.warn(`data folder ${dataDir} not found: data-backed entries are skipped`);
  const entries: BenchEntry[] = [];
  for (const entry of chosen) {
    console.log(`# ${entry.name}`);
    // Imported only now: a suite that is not chosen never loads its dependencies.
    const suite = await entry.load();
    const figures = await suite.run({ dataDir, log: (line) => console.log(`  ${line}`) });
    for (const f of figures) console.log(`  ${f.name} = ${formatValue(f.value)} ${f.unit}`);
    entries.push(...figures);
  }
  const jsonPath = join(here, "results.json");
  // A partial run (--only) replaces its own figures and keeps the others'.
  const fresh = new Set(entries.map((e) => e.name));
  const kept = existsSync(jsonPath)
    ? (JSON.parse(readFileSync(jsonPath, "utf8")) as BenchEntry[]).filter((e) => !fresh.has(e.name))
    : [];
  const all = [...kept, ...entries].sort((a, b) => a.name.localeCompare(b.name));
  writeFileSync(jsonPath, `${JSON.stringify(all, null, 2)}\n`);
  writeFileSync(join(here, "results.md"), `# Benchmark results\n\n${table(all)}\n`);
  console.log(`\n${table(entries)}\n\nwrote ${jsonPath} and results.md`);
}

await main();
