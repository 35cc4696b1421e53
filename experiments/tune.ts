// Measures routing AUC over a grid of embedder and K-means settings, to choose defaults by data.
// usage: node experiments/tune.ts --data <dir> [--router kmeans] [--seeds 1,2,3] [--dims 256,1024] [--clusters 8,16]
//        [--priors 1,4] [--chars 34,0] [--words 12,1]   (n-gram orders written as digits)
import { parseArgs } from "node:util";
import { hashingEmbedder } from "../core/embedder/hashing.ts";
import { loadBenchmark } from "./data/load.ts";
import { runExperiment } from "./harness.ts";
import { kindExperiment } from "./kind-experiment.ts";

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    router: { type: "string", default: "kmeans" },
    seeds: { type: "string", default: "1,2,3" },
    dims: { type: "string", default: "1024" },
    clusters: { type: "string", default: "8" },
    priors: { type: "string", default: "4" },
    chars: { type: "string", default: "34" },
    words: { type: "string", default: "12" },
  },
});
if (!values.data) throw new Error("--data <dir> is required");
const numbers = (text: string) => text.split(",").map(Number);
const digits = (text: string) => (text === "0" ? [] : [...text].map(Number));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const { benchmark } = loadBenchmark(values.data);

const grid = numbers(values.dims).flatMap((dimension) =>
  values.words
    .split(",")
    .flatMap((words) =>
      values.chars
        .split(",")
        .flatMap((chars) =>
          numbers(values.clusters).flatMap((clusters) =>
            numbers(values.priors).map((prior) => ({ dimension, words, chars, clusters, prior })),
          ),
        ),
    ),
);

console.log(`${benchmark.name}, seeds ${values.seeds}`);
console.log(
  "| dimension | word n-grams | char n-grams | clusters | prior | global federated | global pooled | min wins | mean wins |",
);
console.log("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const { dimension, words, chars, clusters, prior } of grid) {
  const embedder = hashingEmbedder({ dimension, wordNgrams: digits(words), charNgrams: digits(chars) });
  const results = [];
  for (const seed of numbers(values.seeds)) {
    results.push(
      await runExperiment(benchmark, {
        seed,
        embedder,
        kind: await kindExperiment(values.router, { clusters, prior }),
      }),
    );
  }
  const wins = results.map((r) => r.clients.filter((c) => c.ownTest.federated > c.ownTest.local).length);
  const federated = mean(results.map((r) => r.global.federated));
  const pooled = mean(results.map((r) => r.global.pooled ?? Number.NaN));
  console.log(
    `| ${dimension} | ${words} | ${chars} | ${clusters} | ${prior} | ${federated.toFixed(4)} | ${pooled.toFixed(4)} | ${Math.min(...wins)} | ${mean(wins).toFixed(1)} |`,
  );
}
