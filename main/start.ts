// `npm start`: the main job. Runs the paper's protocol with the K-means router on the real
// RouterBench subset when ../shared/data is beside the clone (synthetic data otherwise), and
// writes the results and the accuracy-cost plot to out/.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const passed = process.argv.slice(2);
const defaultData = resolve(root, "../shared/data/routerbench-subset");
const data = passed.includes("--data") || !existsSync(defaultData) ? [] : ["--data", defaultData];
const args = [
  join(root, "experiments/cli.ts"),
  "experiment",
  ...data,
  "--out",
  join(root, "out/results.kmeans.json"),
  "--plot",
  join(root, "out/plot.kmeans.svg"),
  ...passed,
];
const result = spawnSync(process.execPath, args, { stdio: "inherit" });
process.exitCode = result.status ?? 1;
