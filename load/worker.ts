// A client thread of the load generator (load/client-pool.ts runs its clients): it reports the
// messages the edge accepted in batches, and its request figures once stopped.
import { parentPort, workerData } from "node:worker_threads";
import { startPool } from "./client-pool.ts";
import type { FromPool, PoolSetup, ToPool } from "./messages.ts";

const port = parentPort!;
const post = (message: FromPool) => port.postMessage(message);
let triples: number[] = [];
const flush = () => {
  if (triples.length === 0) return;
  post({ type: "sent", triples });
  triples = [];
};
const flusher = setInterval(flush, 250);

const pool = await startPool(workerData as PoolSetup, (round, client, step) =>
  triples.push(round, client, step),
);
post({ type: "started" });
port.on("message", async (message: ToPool) => {
  if (message.type !== "stop") return;
  const figures = await pool.stop();
  clearInterval(flusher);
  flush();
  post({ type: "stopped", ...figures });
  port.close();
});
