// Embeds on every core: one worker thread per core, each with its own embedder (for use-lite, its
// own TF.js), fed batches as it finishes the last one.

import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { EmbedMissing } from "./cache.ts";

export interface PoolRequest {
  batch: number;
  texts: string[];
}
/** `vectors[e][t]`: the vector of text t under the pool's embedder e. */
export type PoolReply = { batch: number; vectors: Float32Array[][] } | { batch: number; error: string };

/** Receives each batch's vectors, per embedder id, as it lands. */
export type OnBatches = (texts: readonly string[], vectors: readonly Float32Array[][]) => Promise<void>;

/** Texts per message: small enough to spread the work evenly, large enough to batch the graph. */
const BATCH = 16;

/**
 * An EmbedMissing that rebuilds the embedder `id` in `workers` threads (default: one per core)
 * through the registry, and embeds there.
 */
export function embedInWorkers(id: string, workers = availableParallelism()): EmbedMissing {
  return (texts, onBatch) =>
    embedManyInWorkers([id], texts, (batch, vectors) => onBatch(batch, vectors[0] ?? []), workers);
}

/** Embeds texts with each of the embedders `ids` on `workers` threads, one batch at a time. */
export async function embedManyInWorkers(
  ids: readonly string[],
  texts: readonly string[],
  onBatch: OnBatches,
  workers = availableParallelism(),
): Promise<void> {
  const batches: string[][] = [];
  for (let start = 0; start < texts.length; start += BATCH) batches.push(texts.slice(start, start + BATCH));
  const count = Math.max(1, Math.min(workers, batches.length));
  const threads = Array.from(
    { length: count },
    () => new Worker(new URL("./worker.ts", import.meta.url), { workerData: { ids } }),
  );
  let next = 0;
  try {
    await Promise.all(
      threads.map(
        (thread) =>
          new Promise<void>((resolve, reject) => {
            const send = () => {
              if (next >= batches.length) return resolve();
              const batch = next++;
              thread.postMessage({ batch, texts: batches[batch] as string[] } satisfies PoolRequest);
            };
            thread.on("message", (reply: PoolReply) => {
              if ("error" in reply) return reject(new Error(`embedding worker: ${reply.error}`));
              onBatch(batches[reply.batch] as string[], reply.vectors).then(send, reject);
            });
            thread.on("error", reject);
            thread.on("exit", (code) => {
              if (code !== 0) reject(new Error(`embedding worker exited with code ${code}`));
            });
            send();
          }),
      ),
    );
  } finally {
    await Promise.all(threads.map((thread) => thread.terminate()));
  }
}
