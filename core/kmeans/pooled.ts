// The paper's one-shot federated K-means, kept as a baseline: every client clusters its own
// queries and sends its centroids with their counts; the server clusters the pooled centroids.
// Unlike federatedKMeans it shows the server each client's local centroids.
import type { EvaluationSet } from "../data/evaluations.ts";
import type { Random } from "../random.ts";
import { localKMeans } from "./geometry.ts";

export function pooledCentroids(
  clients: readonly EvaluationSet[],
  clusters: number,
  random: Random,
): Float32Array {
  const d = clients[0]?.dimension ?? 0;
  const pooled: number[] = [];
  const weights: number[] = [];
  for (const client of clients) {
    if (client.n === 0) continue;
    const local = localKMeans(client.features, null, clusters, d, random);
    pooled.push(...local.centroids);
    weights.push(...local.counts);
  }
  const global = localKMeans(Float32Array.from(pooled), Float64Array.from(weights), clusters, d, random);
  // Fewer pooled centroids than clusters leaves the clustering smaller; pad by repeating.
  if (global.centroids.length === clusters * d) return global.centroids;
  const padded = new Float32Array(clusters * d);
  for (let k = 0; k < clusters; k++) {
    const from = (k % (global.centroids.length / d)) * d;
    padded.set(global.centroids.subarray(from, from + d), k * d);
  }
  return padded;
}
