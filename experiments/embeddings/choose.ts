// The embedder of an experiment, bench or demo run, by name (`--embedder`): hashing as it is,
// a registered encoder (use-lite) behind the disk cache, computed on every core when cold.

import type { Embedder } from "../../core/embedder/embedder.ts";
import { hashingEmbedderFromId } from "../../core/embedder/hashing.ts";
import { loadEmbedder } from "../../core/embedder/registry.ts";
import { registerUseLite } from "../../tfjs/register.ts";
import { type CacheOptions, cachedEmbedder } from "./cache.ts";
import { embedInWorkers } from "./pool.ts";

export const EMBEDDER_NAMES = "hashing | use-lite[/w<tokens>-<mean|last|last-weighted>] | a full embedder id";

export interface RunEmbedderOptions {
  /** Progress of a cold run: (label, done, total). */
  progress?: (label: string, done: number, total: number) => void;
  /** Cache folder (default: embeddingCacheRoot()). */
  root?: string;
  /** Worker threads for a cold run (default: one per core). */
  workers?: number;
}

/**
 * The embedder a run names. The hashing embedder is faster than reading a cache, so it is used
 * as it is; other embedders read and fill the disk cache, embedding what is missing on workers.
 */
export async function runEmbedder(name: string, options: RunEmbedderOptions = {}): Promise<Embedder> {
  registerUseLite();
  const embedder = await loadEmbedder(name);
  if (hashingEmbedderFromId(embedder.id)) return embedder;
  const cache: CacheOptions = {
    embedMissing: embedInWorkers(embedder.id, options.workers),
    ...(options.root === undefined ? {} : { root: options.root }),
  };
  const { progress } = options;
  if (progress) cache.progress = (done, total) => progress(`embedding with ${embedder.id}`, done, total);
  return cachedEmbedder(embedder, cache);
}
