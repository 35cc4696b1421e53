// One embedding worker: rebuilds the embedder named by its id (with its own TF.js) and embeds the
// batches the pool sends it.

import { parentPort, workerData } from "node:worker_threads";
import { embedderFromId } from "../../core/embedder/registry.ts";
import { registerUseLite } from "../../tfjs/register.ts";
import type { PoolReply, PoolRequest } from "./pool.ts";

registerUseLite();
const port = parentPort;
if (!port) throw new Error("embeddings/worker.ts runs as a worker thread");
const embedder = embedderFromId((workerData as { id: string }).id);
port.on("message", async ({ batch, texts }: PoolRequest) => {
  let reply: PoolReply;
  try {
    const vectors = await (await embedder).embed(texts);
    reply = { batch, vectors };
  } catch (error) {
    reply = { batch, error: (error as Error).message };
  }
  port.postMessage(reply, "vectors" in reply ? reply.vectors.map((v) => v.buffer as ArrayBuffer) : []);
});
