// One embedding worker: rebuilds the embedders named by its ids (with its own TF.js) and embeds
// the batches the pool sends it with each of them. Embedders of one encoder that differ only in
// how they combine windows share the window vectors, so several ids cost little more than one.

import { parentPort, workerData } from "node:worker_threads";
import { embedderFromId } from "../../core/embedder/registry.ts";
import { registerUseLite } from "../../tfjs/register.ts";
import type { PoolReply, PoolRequest } from "./pool.ts";

registerUseLite();
const port = parentPort;
if (!port) throw new Error("embeddings/worker.ts runs as a worker thread");
const embedders = Promise.all((workerData as { ids: string[] }).ids.map((id) => embedderFromId(id)));
port.on("message", async ({ batch, texts }: PoolRequest) => {
  let reply: PoolReply;
  try {
    const vectors: Float32Array[][] = [];
    for (const embedder of await embedders) vectors.push(await embedder.embed(texts));
    reply = { batch, vectors };
  } catch (error) {
    reply = { batch, error: (error as Error).message };
  }
  port.postMessage(reply, "vectors" in reply ? reply.vectors.flat().map((v) => v.buffer as ArrayBuffer) : []);
});
