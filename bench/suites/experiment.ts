// Wall time and peak memory of `fedrouter experiment` per router and data set.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { routerKind, routerKindNames } from "../../core/routers/registry.ts";
import type { BenchEntry, BenchSuite } from "../entry.ts";

const child = join(dirname(fileURLToPath(import.meta.url)), "../experiment-child.ts");

export const experimentSuite: BenchSuite = {
  name: "experiment",
  async run({ dataDir, log }) {
    const datasets: [string, string | null][] = [
      ["synthetic", null],
      ["routerbench", join(dataDir, "routerbench-subset")],
      ["llmrouter", join(dataDir, "llmrouter")],
    ];
    const entries: BenchEntry[] = [];
    // Kinds that train on the device (the MLP) have their own suite (train); the harness's time
    // and memory are measured on the others.
    for (const router of routerKindNames().filter((name) => !routerKind(name).trainsLocally)) {
      for (const [name, path] of datasets) {
        if (path && !existsSync(path)) {
          log(`skipping ${name}: ${path} not found`);
          continue;
        }
        const args = [child, "--router", router, ...(path ? ["--data", path] : [])];
        const out = execFileSync(process.execPath, args, {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "inherit"],
        });
        const figures = JSON.parse(out.trim().split("\n").pop() ?? "{}");
        const note = `seed 1, 10 clients; federated AUC ${figures.federated.toFixed(3)}`;
        entries.push(
          { name: `experiment.${router}.${name}.seconds`, value: figures.seconds, unit: "s", note },
          {
            name: `experiment.${router}.${name}.peak_mb`,
            value: figures.peakMb,
            unit: "MB",
            note: "peak RSS of the process",
          },
        );
      }
    }
    return entries;
  },
};
