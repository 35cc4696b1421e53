// The `onnx` embedder: any sentence encoder exported to ONNX with its tokenizer.json, run on
// onnxruntime (native in Node when installed, WASM otherwise). Texts are tokenised, cut into
// windows of the encoder's length, run in batches padded to their longest row, mean-pooled over
// the attention mask, L2-normalised, and each text's windows combined.
import type { Embedder } from "../../core/embedder/embedder.ts";
import { EmbedderMismatchError } from "../../core/embedder/embedder.ts";
import { embedderId, parseEmbedderId, type Windowing } from "../../core/embedder/id.ts";
import { meanPoolNormalised } from "../../core/embedder/pooling.ts";
import { combineWindows } from "../../core/embedder/windows.ts";
import { sha256Hex } from "../../core/sha256.ts";
import { loadOrtRuntime, type OrtRuntime, type OrtSession, type RuntimeOptions } from "../ort-runtime.ts";
import {
  type EncoderFiles,
  type EncoderSource,
  parseTokenizerJson,
  readEncoderFiles,
} from "./encoder-source.ts";
import { type EncoderTokenizer, encoderTokenizer } from "./encoder-tokenizer.ts";

/** The model part of every id this embedder makes: `onnx:<name>`. */
export const ONNX_MODEL_PREFIX = "onnx:";
/** Window length when neither the options nor the encoder's files give one (BERT's 512). */
export const DEFAULT_WINDOW_TOKENS = 512;
export const DEFAULT_COMBINE: Windowing["combine"] = "mean";
/** Windows per onnxruntime run. */
const DEFAULT_BATCH_SIZE = 32;
const NAME = /^[A-Za-z0-9._-]+$/;
const INPUTS = { ids: "input_ids", mask: "attention_mask", types: "token_type_ids" } as const;
const DEFAULT_OUTPUT = "last_hidden_state";

export interface OnnxEmbedderRunOptions extends RuntimeOptions {
  /** An already loaded runtime (otherwise one is loaded from the options). */
  runtime?: OrtRuntime;
  /** Windows per onnxruntime run (default 32). */
  batchSize?: number;
  /** The graph output holding token states [batch, sequence, hidden] (default last_hidden_state, else the first). */
  output?: string;
}

export interface OnnxEmbedderOptions extends OnnxEmbedderRunOptions {
  source: EncoderSource;
  /** The encoder's name in the id (`onnx:<name>`); defaults to the folder's name. */
  name?: string;
  /** Window length (default: the encoder's stated maximum, else 512) and how windows combine (default mean). */
  windowing?: Partial<Windowing>;
}

export interface OnnxEmbedder extends Embedder {
  /** First 12 hex characters of the SHA-256 of the .onnx bytes. */
  readonly weights: string;
  readonly windowing: Windowing;
  readonly runtime: OrtRuntime;
}

/** Loads an encoder from a folder, a URL or bytes and makes it an embedder with a fresh id. */
export async function onnxEmbedder(options: OnnxEmbedderOptions): Promise<OnnxEmbedder> {
  const name = encoderName(options.source, options.name);
  const files = await readEncoderFiles(options.source);
  return buildOnnxEmbedder(files, name, resolveWindowing(files, options.windowing), options);
}

/** The name an encoder goes by in ids: the one given, else its folder's name. */
export function encoderName(source: EncoderSource, name?: string): string {
  const chosen =
    name ?? ("folder" in source ? source.folder.split(/[\\/]/).filter(Boolean).pop() : undefined);
  if (!chosen || !NAME.test(chosen)) {
    throw new RangeError(`an ONNX encoder needs a name of letters, digits, ".", "_" or "-" (got ${chosen})`);
  }
  return chosen;
}

/** The windowing asked for, with the encoder's stated length and the default combination filling the gaps. */
export function resolveWindowing(files: EncoderFiles, windowing: Partial<Windowing> = {}): Windowing {
  return {
    tokens: windowing.tokens ?? files.maxTokens ?? DEFAULT_WINDOW_TOKENS,
    combine: windowing.combine ?? DEFAULT_COMBINE,
  };
}

/**
 * Rebuilds the embedder an id names from the user's copy of its encoder, refusing a copy whose
 * weights hash differently (the error names both ids).
 */
export async function onnxEmbedderFromId(
  id: string,
  source: EncoderSource,
  options: OnnxEmbedderRunOptions = {},
): Promise<OnnxEmbedder> {
  const parts = parseEmbedderId(id);
  if (!parts?.model.startsWith(ONNX_MODEL_PREFIX)) throw new RangeError(`${id} is not an ONNX embedder's id`);
  const files = await readEncoderFiles(source);
  const weights = await weightsHash(files.model);
  if (weights !== parts.weights) {
    const found = embedderId({ ...parts, weights });
    throw new EmbedderMismatchError(`the encoder supplied is ${found}, the federation's embedder is ${id}`);
  }
  return buildOnnxEmbedder(files, parts.model.slice(ONNX_MODEL_PREFIX.length), parts.windowing, options);
}

const weightsHash = async (model: Uint8Array) => (await sha256Hex(model)).slice(0, 12);

/** The embedder of files already read, under a name and windowing already chosen. */
export async function buildOnnxEmbedder(
  files: EncoderFiles,
  name: string,
  windowing: Windowing,
  options: OnnxEmbedderRunOptions,
): Promise<OnnxEmbedder> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batchSize must be >= 1, got ${batchSize}`);
  const weights = await weightsHash(files.model);
  const id = embedderId({ model: `${ONNX_MODEL_PREFIX}${name}`, weights, windowing });
  const tokenizer = encoderTokenizer(parseTokenizerJson(files.tokenizer), files.tokenizerConfig);
  const runtime = options.runtime ?? (await loadOrtRuntime(options));
  const session = await runtime.createSession(files.model);
  const run = encoderRunner(runtime, session, tokenizer, options.output);
  // The encoder's width shows in its output: one run on the special tokens alone.
  const [probe] = await run([[...tokenizer.prefix, ...tokenizer.suffix]]);
  const dimension = (probe as Float32Array).length;

  return {
    id,
    dimension,
    weights,
    windowing,
    runtime,
    async embed(texts) {
      const windows = texts.map((text) => tokenizer.windows(text, windowing.tokens));
      const rows = windows.flat();
      // Rows of like length share a batch, so padding stays short.
      const order = rows
        .map((_, i) => i)
        .sort((a, b) => (rows[a] as number[]).length - (rows[b] as number[]).length);
      const pooled: Float32Array[] = new Array(rows.length);
      for (let start = 0; start < order.length; start += batchSize) {
        const batch = order.slice(start, start + batchSize);
        const vectors = await run(batch.map((i) => rows[i] as number[]));
        batch.forEach((row, k) => {
          pooled[row] = vectors[k] as Float32Array;
        });
      }
      let next = 0;
      return windows.map((textWindows) => {
        const vectors = pooled.slice(next, next + textWindows.length);
        next += textWindows.length;
        return combineWindows(vectors, windowing.combine);
      });
    },
  };
}

/** Runs rows of token ids through the encoder in one batch: one pooled, normalised vector per row. */
function encoderRunner(
  runtime: OrtRuntime,
  session: OrtSession,
  tokenizer: EncoderTokenizer,
  output: string | undefined,
): (rows: number[][]) => Promise<Float32Array[]> {
  const unknown = session.inputNames.filter((n) => !(Object.values(INPUTS) as string[]).includes(n));
  if (
    unknown.length ||
    !session.inputNames.includes(INPUTS.ids) ||
    !session.inputNames.includes(INPUTS.mask)
  ) {
    throw new Error(
      `the encoder's inputs are ${session.inputNames.join(", ")}; an ONNX embedder feeds ${INPUTS.ids}, ` +
        `${INPUTS.mask} and optionally ${INPUTS.types}`,
    );
  }
  const withTypes = session.inputNames.includes(INPUTS.types);
  const outputName =
    output ?? (session.outputNames.includes(DEFAULT_OUTPUT) ? DEFAULT_OUTPUT : session.outputNames[0]);
  if (!outputName || !session.outputNames.includes(outputName)) {
    throw new Error(
      `the encoder has no output ${outputName}; its outputs are ${session.outputNames.join(", ")}`,
    );
  }
  const { Tensor } = runtime.ort;
  // int64 as Hugging Face exports declare; int32 where a graph says so (some converted from TF do).
  const int32 = new Set(
    (session.inputMetadata ?? []).filter((m) => m.isTensor && m.type === "int32").map((m) => m.name),
  );
  const tensor = (name: string, values: Int32Array, dims: number[]) =>
    int32.has(name)
      ? new Tensor("int32", values, dims)
      : new Tensor(
          "int64",
          BigInt64Array.from(values, (v) => BigInt(v)),
          dims,
        );
  return async (rows) => {
    const count = rows.length;
    const sequence = Math.max(...rows.map((r) => r.length));
    const ids = new Int32Array(count * sequence).fill(tokenizer.padId);
    const mask = new Int32Array(count * sequence);
    rows.forEach((row, r) => {
      ids.set(row, r * sequence);
      mask.fill(1, r * sequence, r * sequence + row.length);
    });
    const dims = [count, sequence];
    const feeds = {
      [INPUTS.ids]: tensor(INPUTS.ids, ids, dims),
      [INPUTS.mask]: tensor(INPUTS.mask, mask, dims),
      // One text per row: every token is of the first segment.
      ...(withTypes ? { [INPUTS.types]: tensor(INPUTS.types, new Int32Array(count * sequence), dims) } : {}),
    };
    const states = (await session.run(feeds))[outputName];
    const [b, s, hidden] = states?.dims ?? [];
    if (states?.type !== "float32" || states.dims.length !== 3 || b !== count || s !== sequence) {
      throw new Error(
        `the encoder's ${outputName} is not float32 token states [${count}, ${sequence}, hidden]`,
      );
    }
    return meanPoolNormalised(states.data as Float32Array, mask, count, sequence, hidden as number);
  };
}
