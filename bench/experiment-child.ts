// Runs one experiment in its own process so that its peak memory can be measured alone.
// Prints one JSON line: { seconds, peakMb, federated, centralised }.
import { parseArgs } from "node:util";
import { syntheticBenchmark } from "../core/data/synthetic.ts";
import { hashingEmbedder } from "../core/embedder/hashing.ts";
import { loadBenchmark } from "../experiments/data/load.ts";
import { runExperiment } from "../experiments/harness.ts";
import { kindExperiment } from "../experiments/kind-experiment.ts";

const { values } = parseArgs({
  options: { data: { type: "string" }, router: { type: "string", default: "kmeans" } },
});
const benchmark = values.data ? loadBenchmark(values.data).benchmark : syntheticBenchmark({ seed: 1 });
const started = performance.now();
const result = await runExperiment(benchmark, {
  seed: 1,
  kind: await kindExperiment(values.router ?? "kmeans"),
  embedder: hashingEmbedder(),
});
const seconds = (performance.now() - started) / 1000;
// maxRSS is in kilobytes.
const peakMb = process.resourceUsage().maxRSS / 1024;
console.log(
  JSON.stringify({
    seconds,
    peakMb,
    federated: result.global.federated,
    centralised: result.global.centralised,
  }),
);
