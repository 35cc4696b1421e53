import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { DataError } from "../../../experiments/data/errors.ts";
import { ASSUMED_OUTPUT_TOKENS, estimateCost, loadLlmRouter } from "../../../experiments/data/llmrouter.ts";
import { loadBenchmark } from "../../../experiments/data/load.ts";
import { loadRouterBench } from "../../../experiments/data/routerbench.ts";

const fixtures = join(import.meta.dirname, "../../fixtures");

describe("RouterBench loader", () => {
  const { benchmark, report } = loadRouterBench(join(fixtures, "routerbench"));

  it("reads multi-line quoted fields and Python list prompts", () => {
    expect(benchmark.ids).toEqual(["arc.3", "arc.1", "mbpp.1", "wino.1"]);
    expect(benchmark.prompts[1]).toBe("Which is heavier?\nA) feather\nB) rock\nAnswer:");
    expect(benchmark.prompts[2]).toBe(
      'Write a python function "add", that adds:\n    two numbers\nIt\'s fine',
    );
    expect(benchmark.prompts[3]).toBe("Plain prompt, not a list");
    expect(benchmark.tasks).toEqual(["arc", "arc", "mbpp", "winogrande"]);
  });

  it("takes models from the columns that have a cost column, with quality and USD cost", () => {
    expect(benchmark.models).toEqual(["model-a", "model-b"]);
    expect(Array.from(benchmark.quality)).toEqual([0, 1, 1, 0, 0, 1, 1, 0]);
    expect(benchmark.cost[0]).toBeCloseTo(0.004);
    expect(benchmark.cost[5]).toBeCloseTo(0.0002);
  });

  it("skips and counts rows with blank cells, and reports duplicate ids", () => {
    expect(report.rowsRead).toBe(6);
    expect(report.rowsKept).toBe(4);
    expect(report.skipped).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ reason: "missing quality or cost cell", count: 1 }),
        expect.objectContaining({ reason: expect.stringContaining("duplicate sample_id"), count: 1 }),
      ]),
    );
    expect(report.duplicateIds).toEqual(["arc.1"]);
  });

  it("gives a clear error for a malformed CSV and a missing folder", () => {
    const dir = mkdtempSync(join(tmpdir(), "fedrouter-csv-"));
    writeFileSync(join(dir, "bad.csv"), 'sample_id,prompt,eval_name\n1,"unterminated,arc\n');
    expect(() => loadRouterBench(dir)).toThrow(DataError);
    expect(() => loadRouterBench(dir)).toThrow(/not valid CSV/);
    expect(() => loadBenchmark(join(dir, "nope"))).toThrow(/does not exist/);
  });
});

describe("LLMRouter loader", () => {
  const { benchmark, report } = loadLlmRouter(join(fixtures, "llmrouter"));

  it("joins questions to task labels and keeps the first of duplicate questions", () => {
    expect(benchmark.prompts).toEqual(["What is 2+2?", "Name the capital of France.", "Prove it."]);
    expect(benchmark.tasks).toEqual(["gsm8k", "trivia_qa", "math"]);
    expect(benchmark.models).toEqual(["big-model", "small-model"]);
    expect(Array.from(benchmark.quality)).toEqual([1, 1, 0.9, 0.5, 0.25, 0]);
    expect(report.duplicateIds).toEqual(["dcrouter_test.json[0]"]);
  });

  it("counts rows without a task label or with a missing score", () => {
    const reasons = Object.fromEntries(report.skipped.map((s) => [s.reason, s.count]));
    expect(reasons).toMatchObject({
      "question not found in query_*.jsonl (no task label)": 1,
      "missing or non-numeric score": 1,
      "duplicate question (first occurrence kept)": 1,
    });
    expect(report.rowsRead).toBe(6);
    expect(report.rowsKept).toBe(3);
  });

  it("estimates cost from the question's tokens, an assumed answer length and the prices", () => {
    // "What is 2+2?" has 12 characters: 3 input tokens.
    const expected = (3 * 0.9 + ASSUMED_OUTPUT_TOKENS * 1.8) / 1e6;
    expect(benchmark.cost[0]).toBeCloseTo(expected, 12);
    expect(estimateCost("x".repeat(400), { input_price: 1, output_price: 0 })).toBeCloseTo(100 / 1e6, 12);
  });
});
