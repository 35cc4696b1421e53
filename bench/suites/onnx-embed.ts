// The ONNX embedder's latency on a generated MiniLM-width encoder (384 wide, 2 layers, 512-token
// windows) over synthetic prompts: what tokenising, batching, pooling and windowing cost around
// a small graph. A real encoder's figures follow when FEDROUTER_ONNX_ENCODER names its folder.

import { syntheticBenchmark } from "../../core/data/synthetic.ts";
import { bertTokenizerJson } from "../../core/embedder/bert-tokenizer-json.ts";
import { syntheticEncoderModel, syntheticEncoderWeights } from "../../core/onnx/synthetic-encoder.ts";
import { seededRandom } from "../../core/random.ts";
import { type OnnxEmbedder, onnxEmbedder } from "../../ort/embedder/onnx-embedder.ts";
import type { BenchEntry, BenchSuite } from "../entry.ts";

const SINGLE_RUNS = 200;
const BATCH = 32;
const BATCH_RUNS = 10;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await run();
  return performance.now() - start;
}

async function measure(embedder: OnnxEmbedder, prompts: string[], what: string): Promise<BenchEntry[]> {
  // Warm-up: the first runs allocate the session's buffers.
  await embedder.embed(prompts.slice(0, BATCH));
  const single: number[] = [];
  for (let i = 0; i < SINGLE_RUNS; i++)
    single.push(await timed(() => embedder.embed([prompts[i % prompts.length] as string])));
  const batch: number[] = [];
  for (let i = 0; i < BATCH_RUNS; i++) {
    const start = (i * BATCH) % (prompts.length - BATCH);
    batch.push(await timed(() => embedder.embed(prompts.slice(start, start + BATCH))));
  }
  const note = `${what}; onnxruntime ${embedder.runtime.backend}, 1 thread`;
  return [
    { name: `embed.${embedder.id}.single.p50_ms`, value: median(single), unit: "ms", note },
    {
      name: `embed.${embedder.id}.batch${BATCH}.per_query_ms`,
      value: median(batch) / BATCH,
      unit: "ms",
      note,
    },
  ];
}

export const onnxEmbedSuite: BenchSuite = {
  name: "onnx-embed",
  async run({ log }) {
    const prompts = syntheticBenchmark({ seed: 1, queries: 400 }).prompts;
    const words = [...new Set(prompts.flatMap((p) => p.split(" ")))].sort();
    const shape = { vocabulary: 5 + words.length, hidden: 384, positions: 512, types: 2, layers: 2 };
    const model = syntheticEncoderModel(syntheticEncoderWeights(shape, seededRandom(1)));
    const generated = await onnxEmbedder({
      name: "synthetic-bert",
      source: { files: { model, tokenizer: bertTokenizerJson(words), maxTokens: shape.positions } },
    });
    log(`generated encoder ${generated.id}: ${words.length} words, prompts of 8-32 words`);
    const entries = await measure(
      generated,
      prompts,
      "generated 384-wide, 2-layer encoder, synthetic prompts",
    );
    const folder = process.env.FEDROUTER_ONNX_ENCODER;
    if (folder) {
      const real = await onnxEmbedder({ source: { folder }, runtime: generated.runtime });
      log(`encoder in ${folder}: ${real.id}`);
      entries.push(...(await measure(real, prompts, `the encoder in ${folder}, synthetic prompts`)));
    }
    return entries;
  },
};
