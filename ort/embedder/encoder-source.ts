// Where an ONNX sentence encoder comes from: a folder on disk (Node), a URL the user gives (its
// files fetched from there, nothing else), or bytes already in hand. The folder and URL layouts
// are those of exported models: model.onnx (or onnx/model.onnx) beside tokenizer.json, with
// tokenizer_config.json and sentence_bert_config.json when present.

/** An encoder's files, read. */
export interface EncoderFiles {
  /** The .onnx bytes (weights inside: the id hashes these bytes). */
  model: Uint8Array;
  /** tokenizer.json, as text, bytes or parsed. */
  tokenizer: string | Uint8Array | Record<string, unknown>;
  /** tokenizer_config.json, parsed. */
  tokenizerConfig?: Record<string, unknown>;
  /** The longest input the encoder takes, in tokens, when the files say. */
  maxTokens?: number;
}

export type EncoderSource =
  | { folder: string; modelFile?: string }
  | { url: string; modelFile?: string }
  | { files: EncoderFiles };

const MODEL_FILES = ["model.onnx", "onnx/model.onnx"];
/** tokenizer_config.json says 1e30 and similar when a model has no limit. */
const PLAUSIBLE_MAX_TOKENS = 1 << 16;

/** Reads one file of the encoder, or undefined when it is absent. */
type FileReader = (file: string) => Promise<Uint8Array | undefined>;

async function folderReader(folder: string): Promise<FileReader> {
  // A computed specifier keeps browser bundlers from resolving a Node builtin they cannot provide.
  const specifier = "node:fs/promises";
  const fs = (await import(/* @vite-ignore */ specifier)) as typeof import("node:fs/promises");
  const base = folder.replace(/[\\/]+$/, "");
  return async (file) => {
    try {
      return new Uint8Array(await fs.readFile(`${base}/${file}`));
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") return undefined;
      throw error;
    }
  };
}

function urlReader(url: string): FileReader {
  const base = url.endsWith("/") ? url : `${url}/`;
  return async (file) => {
    const response = await fetch(new URL(file, base));
    if (response.status === 404) return undefined;
    if (!response.ok) throw new Error(`fetching ${file} from ${base}: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  };
}

const json = (bytes: Uint8Array | undefined): Record<string, unknown> | undefined =>
  bytes && (JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>);

/** The longest input, from the first file that states one. */
function maxTokens(
  sentenceConfig: Record<string, unknown> | undefined,
  tokenizer: Record<string, unknown>,
  tokenizerConfig: Record<string, unknown> | undefined,
): number | undefined {
  const truncation = tokenizer.truncation as { max_length?: unknown } | null | undefined;
  const stated = [sentenceConfig?.max_seq_length, truncation?.max_length, tokenizerConfig?.model_max_length];
  return stated.find(
    (n): n is number => typeof n === "number" && Number.isInteger(n) && n > 0 && n <= PLAUSIBLE_MAX_TOKENS,
  );
}

/** The source's files, read. */
export async function readEncoderFiles(source: EncoderSource): Promise<EncoderFiles> {
  if ("files" in source) return source.files;
  const where = "folder" in source ? source.folder : source.url;
  const read = "folder" in source ? await folderReader(source.folder) : urlReader(source.url);
  let model: Uint8Array | undefined;
  for (const file of source.modelFile ? [source.modelFile] : MODEL_FILES) {
    model = await read(file);
    if (model) break;
  }
  if (!model) throw new Error(`no ${source.modelFile ?? MODEL_FILES.join(" or ")} in ${where}`);
  const tokenizer = json(await read("tokenizer.json"));
  if (!tokenizer) throw new Error(`no tokenizer.json in ${where}`);
  const tokenizerConfig = json(await read("tokenizer_config.json"));
  const limit = maxTokens(json(await read("sentence_bert_config.json")), tokenizer, tokenizerConfig);
  return {
    model,
    tokenizer,
    ...(tokenizerConfig ? { tokenizerConfig } : {}),
    ...(limit ? { maxTokens: limit } : {}),
  };
}

/** tokenizer.json parsed, whichever form it came in. */
export function parseTokenizerJson(tokenizer: EncoderFiles["tokenizer"]): Record<string, unknown> {
  if (typeof tokenizer === "string") return JSON.parse(tokenizer) as Record<string, unknown>;
  if (tokenizer instanceof Uint8Array) return json(tokenizer) as Record<string, unknown>;
  return tokenizer;
}
