// Times one embedder in its own process, so that its peak memory is measured alone.
// Prints one JSON line: { id, loadSeconds, singleP50Ms, batch32PerQueryMs, peakMb, texts }.
import { parseArgs } from "node:util";
import { syntheticBenchmark } from "../core/data/synthetic.ts";
import { loadEmbedder } from "../core/embedder/registry.ts";
import { loadBenchmark } from "../experiments/data/load.ts";
import { registerUseLite } from "../tfjs/register.ts";
import { forgetUseLiteWindows } from "../tfjs/use-lite.ts";

const { values } = parseArgs({
  options: { embedder: { type: "string", default: "hashing" }, data: { type: "string" } },
});
registerUseLite();
const prompts = values.data
  ? loadBenchmark(values.data).benchmark.prompts
  : syntheticBenchmark({ seed: 1 }).prompts;
// Every query is new to the embedder: no window vector is reused from an earlier one.
const texts = [...new Set(prompts)];
let next = 0;
const take = (n: number) => Array.from({ length: n }, () => texts[next++ % texts.length] as string);

const started = performance.now();
const embedder = await loadEmbedder(values.embedder ?? "hashing");
// The first embed starts the runtime (TF.js, the graph): part of loading, not of a query.
await embedder.embed(take(1));
const loadSeconds = (performance.now() - started) / 1000;

const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const single: number[] = [];
for (const text of take(40)) {
  forgetUseLiteWindows();
  const t = performance.now();
  await embedder.embed([text]);
  single.push(performance.now() - t);
}
const batches: number[] = [];
for (let b = 0; b < 5; b++) {
  forgetUseLiteWindows();
  const batch = take(32);
  const t = performance.now();
  await embedder.embed(batch);
  batches.push((performance.now() - t) / 32);
}
// maxRSS is in kilobytes.
const peakMb = process.resourceUsage().maxRSS / 1024;
console.log(
  JSON.stringify({
    id: embedder.id,
    loadSeconds,
    singleP50Ms: median(single),
    batch32PerQueryMs: median(batches),
    peakMb,
    texts: values.data ?? "synthetic",
  }),
);
