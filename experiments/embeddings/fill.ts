// Fills the disk cache for texts under several embedders in one pass over the workers: what
// `fedrouter embed` runs before experiments that compare windowings.

import { access } from "node:fs/promises";
import type { Embedder } from "../../core/embedder/embedder.ts";
import { embeddingCacheRoot, vectorPath, writeVector } from "./cache.ts";
import { embedManyInWorkers } from "./pool.ts";

export interface FillOptions {
  root?: string;
  workers?: number;
  progress?: (done: number, total: number) => void;
}

/** Embeds every text some embedder has no cached vector for, with all of them; returns how many. */
export async function fillCache(
  embedders: readonly Embedder[],
  texts: readonly string[],
  options: FillOptions = {},
): Promise<number> {
  const root = options.root ?? embeddingCacheRoot();
  const unique = [...new Set(texts)];
  const cached = async (embedder: Embedder, text: string) =>
    access(vectorPath(root, embedder.id, text)).then(
      () => true,
      () => false,
    );
  const missing: string[] = [];
  for (const text of unique)
    if (!(await Promise.all(embedders.map((e) => cached(e, text)))).every(Boolean)) missing.push(text);
  if (missing.length === 0) return 0;
  let done = 0;
  options.progress?.(0, missing.length);
  await embedManyInWorkers(
    embedders.map((e) => e.id),
    missing,
    async (batch, vectors) => {
      await Promise.all(
        embedders.flatMap((embedder, e) =>
          batch.map((text, t) =>
            writeVector(vectorPath(root, embedder.id, text), vectors[e]?.[t] as Float32Array),
          ),
        ),
      );
      done += batch.length;
      options.progress?.(done, missing.length);
    },
    options.workers,
  );
  return missing.length;
}
