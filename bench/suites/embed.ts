// Query latency and peak memory of each embedder: one query at a time (p50) and batches of 32
// (per query), on the RouterBench subset's prompts (few-shot, mostly over 128 tokens) when present.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchEntry, BenchSuite } from "../entry.ts";

const child = join(dirname(fileURLToPath(import.meta.url)), "../embed-child.ts");

/** The embedders timed, by the names `fedrouter experiment --embedder` takes: `mean` reads every window. */
const EMBEDDERS = ["hashing", "use-lite", "use-lite/w128-mean"];

export const embedSuite: BenchSuite = {
  name: "embed",
  async run({ dataDir, log }) {
    const data = join(dataDir, "routerbench-subset");
    const withData = existsSync(data);
    if (!withData) log(`${data} not found: timing on the synthetic benchmark's prompts`);
    const entries: BenchEntry[] = [];
    for (const name of EMBEDDERS) {
      const out = execFileSync(
        process.execPath,
        [child, "--embedder", name, ...(withData ? ["--data", data] : [])],
        {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "inherit"],
        },
      );
      const f = JSON.parse(out.trim().split("\n").pop() ?? "{}");
      const on = withData ? "routerbench-subset prompts" : "synthetic prompts";
      entries.push(
        {
          name: `embed.${f.id}.single.p50_ms`,
          value: f.singleP50Ms,
          unit: "ms",
          note: `one query per call, median of 40, ${on}; loading took ${f.loadSeconds.toFixed(1)} s`,
        },
        {
          name: `embed.${f.id}.batch32.per_query_ms`,
          value: f.batch32PerQueryMs,
          unit: "ms",
          note: `32 queries per call, median of 5 batches, ${on}`,
        },
        { name: `embed.${f.id}.peak_mb`, value: f.peakMb, unit: "MB", note: "peak RSS of the process" },
      );
    }
    return entries;
  },
};
