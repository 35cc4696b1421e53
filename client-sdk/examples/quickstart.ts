// The README's example: an app that routes with its federation's router, keeps its evaluations
// in a file, and takes part in the next round. The end-to-end test runs it against the edge.
//   node client-sdk/examples/quickstart.ts <edgeUrl> <federationId> <clientToken> <modelPublicKey> [evaluations.jsonl]
import { fileURLToPath } from "node:url";
import { FileStore } from "../src/file-store.ts";
import { createClient, FedRouterError } from "../src/index.ts";

export async function quickstart(
  edgeUrl: string,
  federationId: string,
  token: string,
  modelPublicKey: string,
  storePath: string,
) {
  // The token and the model public key both come from the client's enrolment: with the key, the
  // client takes only router versions the edge signed.
  const client = createClient({
    edgeUrl,
    federationId,
    token,
    modelPublicKey,
    store: new FileStore(storePath),
  });

  // The federation's latest router: downloaded once, then only checked (ETag); if the edge
  // cannot be reached, the client keeps routing with the version it holds.
  const { version } = await client.sync();
  console.log(`router version ${version}`);

  // Best predicted quality minus 20 x predicted cost (USD), among the allowed models.
  const query = "Summarise this supplier contract in three bullet points";
  const decision = await client.route(query, { lambda: 20 });
  for (const p of decision.predictions)
    console.log(`${p.model}: quality ${p.quality.toFixed(3)}, cost $${p.cost.toFixed(5)}`);
  console.log(`-> ${decision.model}`);

  // Call decision.model, judge its answer, and keep the evaluation on this device.
  await client.record({ query, model: decision.model, quality: 0.9, cost: 0.0021 });

  // Take part in the next round that includes this client: local training on the stored
  // evaluations, then secure aggregation (only the masked update leaves the device).
  try {
    const result = await client.participate({
      timeoutMs: 60_000,
      onProgress: (event) => console.log(`round ${event.round ?? "?"}: ${event.stage}`),
    });
    console.log(`round ${result.round} trained on ${result.examples} queries:`, result.outcome);
  } catch (error) {
    if (!(error instanceof FedRouterError)) throw error;
    // Stable codes to branch on: "round" (finished, excluded, aborted), "timeout", "network", ...
    console.log(`no round this time (${error.code}): ${error.message}`);
  }
  return decision;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [edgeUrl, federationId, token, modelPublicKey, storePath = "fedrouter-evaluations.jsonl"] =
    process.argv.slice(2);
  if (!edgeUrl || !federationId || !token || !modelPublicKey) {
    console.error(
      "usage: node client-sdk/examples/quickstart.ts <edgeUrl> <federationId> <clientToken> <modelPublicKey> [store]",
    );
    process.exit(2);
  }
  await quickstart(edgeUrl, federationId, token, modelPublicKey, storePath);
}
