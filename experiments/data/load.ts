// Picks the loader for a data folder: LLMRouter's (llm_candidates.json present) or RouterBench CSVs.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Benchmark, LoadReport } from "../../core/data/benchmark.ts";
import { DataError } from "./errors.ts";
import { loadLlmRouter } from "./llmrouter.ts";
import { loadRouterBench } from "./routerbench.ts";

export function loadBenchmark(path: string): { benchmark: Benchmark; report: LoadReport } {
  if (!existsSync(path)) throw new DataError("not_found", `data folder ${path} does not exist`);
  if (statSync(path).isDirectory() && existsSync(join(path, "llm_candidates.json")))
    return loadLlmRouter(path);
  return loadRouterBench(path);
}

export function describeReport(report: LoadReport): string[] {
  const lines = [`read ${report.rowsRead} rows, kept ${report.rowsKept}`];
  for (const s of report.skipped)
    lines.push(`skipped ${s.count}: ${s.reason} (e.g. ${s.examples.slice(0, 3).join(", ")})`);
  if (report.duplicateIds.length) lines.push(`${report.duplicateIds.length} duplicate ids reported`);
  lines.push(...report.notes);
  return lines;
}
