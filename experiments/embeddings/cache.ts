// Embeddings cached on disk, so a data set is embedded once per embedder and machine: one file
// per text, `<root>/<embedder id, URI-encoded>/<first 2 hex of the text's SHA-256>/<SHA-256>.f32`,
// holding the vector as little-endian float32. Files are written to a temporary name and renamed,
// so parallel runs (several experiments at once) never read a half-written vector.

import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";
import { checkVector, type Embedder } from "../../core/embedder/embedder.ts";

/** `$XDG_CACHE_HOME/fedrouter/embeddings`, or `~/.cache/fedrouter/embeddings`. */
export function embeddingCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME?.trim() || join(homedir(), ".cache");
  return join(base, "fedrouter", "embeddings");
}

export const textHash = (text: string): string => createHash("sha256").update(text, "utf8").digest("hex");

/** The file holding one text's vector under one embedder. */
export function vectorPath(root: string, embedderId: string, text: string): string {
  const hash = textHash(text);
  return join(root, encodeURIComponent(embedderId), hash.slice(0, 2), `${hash}.f32`);
}

/** Computes vectors for texts missing from the cache, reporting each batch as it lands. */
export type EmbedMissing = (
  texts: readonly string[],
  onBatch: (texts: readonly string[], vectors: readonly Float32Array[]) => Promise<void>,
) => Promise<void>;

export interface CacheOptions {
  /** Default: embeddingCacheRoot(). */
  root?: string;
  /** How missing vectors are computed (e.g. on a worker per core). Default: the embedder, 32 texts at a time. */
  embedMissing?: EmbedMissing;
  /** Called as missing vectors are computed: (texts done, texts missing). */
  progress?: (done: number, total: number) => void;
}

/**
 * The embedder with a disk cache in front: texts it has embedded before are read back, the rest
 * embedded (through `embedMissing`) and written. Same id and dimension as the embedder it wraps.
 */
export function cachedEmbedder(embedder: Embedder, options: CacheOptions = {}): Embedder {
  const root = options.root ?? embeddingCacheRoot();
  const embedMissing: EmbedMissing =
    options.embedMissing ??
    (async (texts, onBatch) => {
      for (let start = 0; start < texts.length; start += 32) {
        const batch = texts.slice(start, start + 32);
        await onBatch(batch, await embedder.embed(batch));
      }
    });
  return {
    id: embedder.id,
    dimension: embedder.dimension,
    async embed(texts) {
      const found = new Map<string, Float32Array>();
      const unique = [...new Set(texts)];
      await forEachLimited(unique, 64, async (text) => {
        const vector = await readVector(vectorPath(root, embedder.id, text), embedder.dimension);
        if (vector) found.set(text, vector);
      });
      const missing = unique.filter((text) => !found.has(text));
      if (missing.length > 0) {
        let done = 0;
        options.progress?.(0, missing.length);
        await embedMissing(missing, async (batch, vectors) => {
          await Promise.all(
            batch.map(async (text, i) => {
              const vector = vectors[i] as Float32Array;
              checkVector(vector, embedder.dimension, `vector of ${embedder.id}`);
              found.set(text, vector);
              await writeVector(vectorPath(root, embedder.id, text), vector);
            }),
          );
          done += batch.length;
          options.progress?.(done, missing.length);
        });
      }
      return texts.map((text) => {
        const vector = found.get(text);
        if (!vector) throw new Error(`no vector was computed for "${text.slice(0, 60)}"`);
        return vector;
      });
    },
  };
}

/** The vector in a cache file, or undefined when the file is absent or not one vector of this dimension. */
async function readVector(path: string, dimension: number): Promise<Float32Array | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  if (bytes.length !== 4 * dimension) return undefined;
  const vector = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) vector[i] = bytes.readFloatLE(4 * i);
  return vector;
}

export async function writeVector(path: string, vector: Float32Array): Promise<void> {
  const bytes = Buffer.alloc(4 * vector.length);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i] as number, 4 * i);
  await mkdir(join(path, ".."), { recursive: true });
  const temporary = `${path}.${process.pid}.${Math.floor(performance.now() * 1000)}.tmp`;
  await writeFile(temporary, bytes);
  await rename(temporary, path);
}

/** Runs `task` over items with at most `limit` running at once. */
async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await task(items[next++] as T);
  });
  await Promise.all(lanes);
}
