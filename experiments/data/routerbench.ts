// Loads RouterBench-format CSVs: one column per model (quality), `<model>|total_cost` (USD),
// `prompt` (often a Python list literal of turns), `eval_name` and `sample_id`.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { parse } from "csv-parse/sync";
import {
  type Benchmark,
  benchmarkBuilder,
  emptyReport,
  type LoadReport,
  recordSkip,
} from "../../core/data/benchmark.ts";
import { promptText } from "../../core/data/prompt-literal.ts";
import { DataError } from "./errors.ts";

const COST_SUFFIX = "|total_cost";

/** Model columns are those that have a matching `<model>|total_cost` column. */
function modelColumns(header: readonly string[]): string[] {
  return header.filter(
    (name) => name !== "" && !name.includes("|") && header.includes(`${name}${COST_SUFFIX}`),
  );
}

function csvFiles(path: string): string[] {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) throw new DataError("not_found", `data path ${path} does not exist`);
  if (stat.isFile()) return [path];
  const files = readdirSync(path)
    .filter((f) => f.endsWith(".csv"))
    .sort()
    .map((f) => join(path, f));
  if (files.length === 0) throw new DataError("no_files", `no .csv files in ${path}`);
  return files;
}

export function loadRouterBench(path: string): { benchmark: Benchmark; report: LoadReport } {
  const report = emptyReport();
  let models: string[] | null = null;
  const kept = benchmarkBuilder(basename(path));
  const seen = new Set<string>();
  const everySampleId = new Set<string>();
  for (const file of csvFiles(path)) {
    let rows: string[][];
    try {
      rows = parse(readFileSync(file), { relax_column_count: false, bom: true });
    } catch (error) {
      throw new DataError("malformed", `${basename(file)} is not valid CSV: ${(error as Error).message}`);
    }
    const header = rows[0];
    if (!header) throw new DataError("malformed", `${basename(file)} is empty`);
    const columns = modelColumns(header);
    const at = (name: string) => header.indexOf(name);
    for (const required of ["sample_id", "prompt", "eval_name"]) {
      if (at(required) < 0) throw new DataError("malformed", `${basename(file)} has no ${required} column`);
    }
    if (columns.length === 0)
      throw new DataError("malformed", `${basename(file)} has no <model>,<model>|total_cost columns`);
    if (!models) models = columns;
    else if (columns.length !== models.length || columns.some((c) => !models?.includes(c))) {
      throw new DataError(
        "malformed",
        `${basename(file)} has models [${columns}] unlike the other files [${models}]`,
      );
    }
    const modelList = models;
    for (const row of rows.slice(1)) {
      report.rowsRead++;
      const id = row[at("sample_id")] ?? "";
      const where = `${basename(file)}:${id}`;
      // Every repeated id is reported, even when its first occurrence was itself skipped.
      if (everySampleId.has(id)) report.duplicateIds.push(id);
      everySampleId.add(id);
      if (seen.has(id)) {
        recordSkip(report, "duplicate sample_id (first kept occurrence wins)", where);
        continue;
      }
      const q = modelList.map((m) => row[at(m)] ?? "");
      const c = modelList.map((m) => row[at(`${m}${COST_SUFFIX}`)] ?? "");
      if ([...q, ...c].some((cell) => cell.trim() === "")) {
        recordSkip(report, "missing quality or cost cell", where);
        continue;
      }
      const qn = q.map(Number);
      const cn = c.map(Number);
      if (qn.some((v) => !Number.isFinite(v)) || cn.some((v) => !Number.isFinite(v) || v < 0)) {
        recordSkip(report, "non-numeric or negative quality or cost", where);
        continue;
      }
      seen.add(id);
      kept.add({
        id,
        prompt: promptText(row[at("prompt")] ?? ""),
        task: row[at("eval_name")] ?? "",
        quality: qn,
        cost: cn,
      });
      report.rowsKept++;
    }
  }
  const benchmark = kept.build(models ?? []);
  return { benchmark, report };
}
