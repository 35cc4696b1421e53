// Loads LLMRouter's routing data: {question, scores{model: score}} JSON files, per-task query
// JSONL files for task labels, and per-model prices per 1M tokens.
//
// There is no per-query cost in this data set, so it is estimated:
//   input tokens  = ceil(characters of the question / 4)   (the usual ~4 characters per token)
//   output tokens = 256                                    (an assumed typical answer length)
//   cost (USD)    = (input tokens * input price + output tokens * output price) / 1e6
// The estimate keeps the models' price ratios and grows with the query's length.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  type Benchmark,
  benchmarkBuilder,
  emptyReport,
  type LoadReport,
  recordSkip,
} from "../../core/data/benchmark.ts";
import { DataError } from "./errors.ts";

export const ASSUMED_OUTPUT_TOKENS = 256;
export const CHARACTERS_PER_TOKEN = 4;

interface Price {
  input_price: number;
  output_price: number;
}

function readJson(path: string): unknown {
  if (!existsSync(path)) throw new DataError("not_found", `missing file ${path}`);
  try {
    return JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new DataError("malformed", `${path} is not valid JSON: ${(error as Error).message}`);
  }
}

function readJsonLines(path: string): Record<string, unknown>[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, i) => {
      try {
        return JSON.parse(line) as Record<string, unknown>;
      } catch (error) {
        throw new DataError("malformed", `${path}:${i + 1} is not valid JSON: ${(error as Error).message}`);
      }
    });
}

export function estimateCost(question: string, price: Price): number {
  const inputTokens = Math.ceil(question.length / CHARACTERS_PER_TOKEN);
  return (inputTokens * price.input_price + ASSUMED_OUTPUT_TOKENS * price.output_price) / 1e6;
}

export function loadLlmRouter(dir: string): { benchmark: Benchmark; report: LoadReport } {
  const report = emptyReport();
  const prices = readJson(join(dir, "llm_candidates.json")) as Record<string, Price>;
  const taskOf = new Map<string, string>();
  let ambiguous = 0;
  for (const file of ["query_train.jsonl", "query_test.jsonl"]) {
    for (const row of readJsonLines(join(dir, file))) {
      const query = String(row.query ?? "");
      const task = String(row.task_name ?? "");
      const known = taskOf.get(query);
      if (known === undefined) taskOf.set(query, task);
      else if (known !== task) ambiguous++;
    }
  }
  if (ambiguous) report.notes.push(`${ambiguous} queries appear under two task names; the first is used`);
  let models: string[] | null = null;
  const kept = benchmarkBuilder("llmrouter");
  const seen = new Set<string>();
  for (const file of ["dcrouter_train.json", "dcrouter_test.json"]) {
    const rows = readJson(join(dir, file));
    if (!Array.isArray(rows)) throw new DataError("malformed", `${file} is not a JSON array`);
    rows.forEach((row: { question?: unknown; scores?: Record<string, unknown> }, i) => {
      report.rowsRead++;
      const where = `${file}[${i}]`;
      const question = typeof row.question === "string" ? row.question : null;
      if (!question || !row.scores || typeof row.scores !== "object") {
        recordSkip(report, "row without question or scores", where);
        return;
      }
      if (!models) {
        models = Object.keys(row.scores).sort();
        const unpriced = models.filter((m) => !prices[m]);
        if (unpriced.length) throw new DataError("malformed", `no price for models ${unpriced.join(", ")}`);
      }
      if (seen.has(question)) {
        report.duplicateIds.push(where);
        recordSkip(report, "duplicate question (first occurrence kept)", where);
        return;
      }
      const scores = models.map((m) => row.scores?.[m]);
      if (scores.some((s) => typeof s !== "number" || !Number.isFinite(s))) {
        recordSkip(report, "missing or non-numeric score", where);
        return;
      }
      const task = taskOf.get(question);
      if (task === undefined) {
        recordSkip(report, "question not found in query_*.jsonl (no task label)", where);
        return;
      }
      seen.add(question);
      kept.add({
        id: where,
        prompt: question,
        task,
        quality: scores as number[],
        cost: models.map((m) => estimateCost(question, prices[m] as Price)),
      });
      report.rowsKept++;
    });
  }
  return { benchmark: kept.build(models ?? []), report };
}
