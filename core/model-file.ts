// The router model file: one self-describing binary that carries a trained router between the
// edge, the SDK and the experiments. Layout (little-endian):
//   magic "FRTR" | u32 format version | u32 header length | header JSON (UTF-8) | padding to 4 |
//   tensor bytes (float32 or float64, each tensor 8-byte aligned)
// The header names the router kind, the embedder, the model list and every tensor's place, and
// states the body length so that a truncated file is detected before anything is read.

export const MODEL_FILE_VERSION = 1;
const MAGIC = 0x52545246; // "FRTR" read as a little-endian u32

export interface EmbedderInfo {
  id: string;
  dimension: number;
}

export type TensorData = Float32Array | Float64Array;

export interface ModelFileHeader {
  kind: string;
  embedder: EmbedderInfo;
  /** The LLMs the router chooses between, in head order. */
  models: string[];
  /**
   * The tag vocabulary: each input row is the embedding followed by one indicator per tag, in
   * this order (core/routers/tags.ts). Absent: no tags, rows are the embedding alone.
   */
  tags?: string[];
  /** Free-form JSON metadata of the router kind (normalisation statistics, hyperparameters, ...). */
  meta: Record<string, unknown>;
}

export interface ModelFile extends ModelFileHeader {
  tensors: Record<string, TensorData>;
}

interface TensorEntry {
  name: string;
  dtype: "f32" | "f64";
  offset: number;
  length: number;
}

export class ModelFileError extends Error {
  override name = "ModelFileError";
  readonly code: "bad_magic" | "bad_version" | "truncated" | "bad_header" | "mismatch";
  constructor(code: ModelFileError["code"], message: string) {
    super(message);
    this.code = code;
  }
}

const align = (n: number, to: number): number => Math.ceil(n / to) * to;

export function encodeModelFile(file: ModelFile): Uint8Array {
  const entries: TensorEntry[] = [];
  let bodyLength = 0;
  for (const [name, data] of Object.entries(file.tensors)) {
    bodyLength = align(bodyLength, 8);
    const dtype = data instanceof Float64Array ? "f64" : "f32";
    entries.push({ name, dtype, offset: bodyLength, length: data.length });
    bodyLength += data.byteLength;
  }
  const header = {
    kind: file.kind,
    embedder: file.embedder,
    models: file.models,
    // Written only when there are tags, so that files without them stay byte for byte as before.
    ...(file.tags && file.tags.length > 0 ? { tags: file.tags } : {}),
    meta: file.meta,
    tensors: entries,
    bodyLength,
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const bodyStart = align(12 + headerBytes.length, 8);
  const bytes = new Uint8Array(bodyStart + bodyLength);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, MODEL_FILE_VERSION, true);
  view.setUint32(8, headerBytes.length, true);
  bytes.set(headerBytes, 12);
  for (const entry of entries) {
    const data = file.tensors[entry.name] as TensorData;
    bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), bodyStart + entry.offset);
  }
  return bytes;
}

export function decodeModelFile(bytes: Uint8Array): ModelFile {
  if (bytes.length < 12)
    throw new ModelFileError("truncated", `model file is ${bytes.length} bytes, too short`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new ModelFileError("bad_magic", "not a fedrouter model file");
  const version = view.getUint32(4, true);
  if (version !== MODEL_FILE_VERSION) {
    throw new ModelFileError(
      "bad_version",
      `model file version ${version}, this build reads ${MODEL_FILE_VERSION}`,
    );
  }
  const headerLength = view.getUint32(8, true);
  if (12 + headerLength > bytes.length)
    throw new ModelFileError("truncated", "model file header is truncated");
  let header: ModelFileHeader & { tensors: TensorEntry[]; bodyLength: number };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)));
  } catch (error) {
    throw new ModelFileError("bad_header", `model file header is not JSON: ${(error as Error).message}`);
  }
  if (!header || typeof header.kind !== "string" || !Array.isArray(header.tensors) || !header.embedder) {
    throw new ModelFileError("bad_header", "model file header lacks kind, embedder or tensors");
  }
  if (
    header.tags !== undefined &&
    (!Array.isArray(header.tags) || header.tags.some((tag) => typeof tag !== "string"))
  ) {
    throw new ModelFileError("bad_header", "model file tags are not a list of strings");
  }
  const bodyStart = align(12 + headerLength, 8);
  if (bytes.length !== bodyStart + header.bodyLength) {
    throw new ModelFileError(
      "truncated",
      `model file body is ${bytes.length - bodyStart} bytes, header says ${header.bodyLength}`,
    );
  }
  // Copy into a fresh aligned buffer so typed-array views are valid whatever the input's offset.
  const body = bytes.slice(bodyStart);
  const tensors: Record<string, TensorData> = {};
  for (const entry of header.tensors) {
    const width = entry.dtype === "f64" ? 8 : 4;
    if (entry.offset + entry.length * width > body.length) {
      throw new ModelFileError("truncated", `tensor ${entry.name} runs past the end of the file`);
    }
    tensors[entry.name] =
      entry.dtype === "f64"
        ? new Float64Array(body.buffer, entry.offset, entry.length)
        : new Float32Array(body.buffer, entry.offset, entry.length);
  }
  return {
    kind: header.kind,
    embedder: header.embedder,
    models: header.models,
    ...(header.tags && header.tags.length > 0 ? { tags: header.tags } : {}),
    meta: header.meta,
    tensors,
  };
}

/** The tag vocabulary a model file's router reads (empty when it reads embeddings alone). */
export function tagsOf(file: Pick<ModelFileHeader, "tags">): string[] {
  return file.tags ?? [];
}

/** The width of the rows a model file's router reads: the embedding and one indicator per tag. */
export function inputWidth(file: Pick<ModelFileHeader, "embedder" | "tags">): number {
  return file.embedder.dimension + tagsOf(file).length;
}

/**
 * Refuses a model file built for another embedder, another model list or (when `tags` is given)
 * another tag vocabulary: its rows would have another width or their indicators another order.
 */
export function assertCompatible(
  file: ModelFileHeader,
  embedder: EmbedderInfo,
  models?: readonly string[],
  tags?: readonly string[],
): void {
  if (file.embedder.id !== embedder.id || file.embedder.dimension !== embedder.dimension) {
    throw new ModelFileError(
      "mismatch",
      `router was trained with embedder ${file.embedder.id} (${file.embedder.dimension}-d), not ${embedder.id} (${embedder.dimension}-d)`,
    );
  }
  if (models && (models.length !== file.models.length || models.some((m, i) => m !== file.models[i]))) {
    throw new ModelFileError(
      "mismatch",
      `router's models [${file.models.join(", ")}] differ from [${models.join(", ")}]`,
    );
  }
  const own = tagsOf(file);
  if (tags && (tags.length !== own.length || tags.some((t, i) => t !== own[i]))) {
    throw new ModelFileError(
      "mismatch",
      `router's tags [${own.join(", ")}] differ from [${tags.join(", ")}]`,
    );
  }
}
