// Measures routing AUC over a grid of embedder and K-means settings, to choose defaults by data.
// usage: node experiments/tune.ts --data <dir> [--seeds 1,2,3] [--dims 256,1024] [--clusters 8,16]
//        [--priors 1,4] [--chars 34,0]
import { parseArgs } from "node:util";
import { hashingEmbedder } from "../core/embedder/hashing.ts";
import { loadBenchmark } from "./data/load.ts";
import { runExperiment } from "./harness.ts";
import { kmeansFamily } from "./kmeans-family.ts";

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    seeds: { type: "string", default: "1,2,3" },
    dims: { type: "string", default: "1024" },
    clusters: { type: "string", default: "16" },
    priors: { type: "string", default: "1" },
    chars: { type: "string", default: "34" },
  },
});
if (!values.data) throw new Error("--data <dir> is required");
const list = (text: string) => text.split(",").map(Number);
const { benchmark } = loadBenchmark(values.data);
console.log(
  "| dimension | char n-grams | clusters | prior | mean global federated | mean global pooled | min wins | mean wins |",
);
console.log("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const dimension of list(values.dims)) {
  for (const chars of values.chars.split(",")) {
    const charNgrams = chars === "0" ? [] : [...chars].map(Number);
    const embedder = hashingEmbedder({ dimension, charNgrams });
    for (const clusters of list(values.clusters)) {
      for (const prior of list(values.priors)) {
        const results = [];
        for (const seed of list(values.seeds)) {
          results.push(
            await runExperiment(benchmark, { seed, embedder, family: kmeansFamily({ clusters, prior }) }),
          );
        }
        const wins = results.map(
          (r) => r.clients.filter((c) => c.ownTest.federated > c.ownTest.local).length,
        );
        const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
        console.log(
          `| ${dimension} | ${chars} | ${clusters} | ${prior} | ${mean(results.map((r) => r.global.federated)).toFixed(4)} | ${mean(results.map((r) => r.global.pooled ?? Number.NaN)).toFixed(4)} | ${Math.min(...wins)} | ${mean(wins).toFixed(1)} |`,
        );
      }
    }
  }
}
