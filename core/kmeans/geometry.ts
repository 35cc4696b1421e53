// Nearest-centroid assignment and the Lloyd sums it feeds, over flat Float32Arrays.
import type { Random } from "../random.ts";

/**
 * Largest norm of a point the federated passes sum. Embeddings are unit vectors (the hashing
 * embedder's, most embedding APIs'), whose float32 norms stray from 1 by about 1e-7; the slack
 * keeps those untouched, so that scaling longer rows down changes nothing for unit-norm embedders.
 */
export const MAX_FEATURE_NORM = 1 + 1e-6;

/**
 * The points with every row longer than MAX_FEATURE_NORM scaled to unit length, so that an honest
 * client's sums stay within the bounds the edge checks before publishing (total-check.ts); the
 * same array when no row is that long.
 */
export function boundedFeatures(features: Float32Array, dimension: number): Float32Array {
  let bounded: Float32Array | undefined;
  const n = dimension > 0 ? features.length / dimension : 0;
  for (let q = 0; q < n; q++) {
    let squares = 0;
    for (let i = 0; i < dimension; i++) squares += features[q * dimension + i]! ** 2;
    const norm = Math.sqrt(squares);
    if (norm <= MAX_FEATURE_NORM) continue;
    bounded ??= Float32Array.from(features);
    for (let i = 0; i < dimension; i++) bounded[q * dimension + i] = features[q * dimension + i]! / norm;
  }
  return bounded ?? features;
}

/** Index of the nearest centroid to row `row` of `points`, and its squared distance. */
export function nearestCentroid(
  points: Float32Array,
  row: number,
  centroids: Float32Array,
  clusterCount: number,
  dimension: number,
): { cluster: number; distance: number } {
  let best = 0;
  let bestDistance = Number.POSITIVE_INFINITY;
  const offset = row * dimension;
  for (let k = 0; k < clusterCount; k++) {
    let d = 0;
    const c = k * dimension;
    for (let i = 0; i < dimension; i++) {
      const diff = points[offset + i]! - centroids[c + i]!;
      d += diff * diff;
    }
    if (d < bestDistance) {
      bestDistance = d;
      best = k;
    }
  }
  return { cluster: best, distance: bestDistance };
}

/**
 * Per-cluster Lloyd sums of weighted points: layout per cluster k is
 * [count, squared error, sum of vectors (dimension)]. The only thing a client reveals, and
 * only inside a secure sum.
 */
export function lloydSums(
  points: Float32Array,
  weights: Float64Array | null,
  centroids: Float32Array,
  clusterCount: number,
  dimension: number,
): Float64Array {
  const stride = dimension + 2;
  const sums = new Float64Array(clusterCount * stride);
  const n = points.length / dimension;
  for (let q = 0; q < n; q++) {
    const w = weights ? weights[q]! : 1;
    const { cluster, distance } = nearestCentroid(points, q, centroids, clusterCount, dimension);
    const base = cluster * stride;
    sums[base]! += w;
    sums[base + 1]! += w * distance;
    for (let i = 0; i < dimension; i++) sums[base + 2 + i]! += w * points[q * dimension + i]!;
  }
  return sums;
}

/** New centroids from Lloyd sums; a cluster that received nothing keeps its old centroid. */
export function centroidsFromSums(
  sums: Float64Array,
  previous: Float32Array,
  clusterCount: number,
  dimension: number,
): Float32Array {
  const stride = dimension + 2;
  const next = Float32Array.from(previous);
  for (let k = 0; k < clusterCount; k++) {
    const count = sums[k * stride]!;
    if (!(count > 0)) continue;
    for (let i = 0; i < dimension; i++) next[k * dimension + i] = sums[k * stride + 2 + i]! / count;
  }
  return next;
}

/** Weighted k-means++ seeding then Lloyd iterations: the local step of the pooled baseline. */
export function localKMeans(
  points: Float32Array,
  weights: Float64Array | null,
  clusterCount: number,
  dimension: number,
  random: Random,
  iterations = 25,
): { centroids: Float32Array; counts: Float64Array } {
  const n = points.length / dimension;
  const k = Math.min(clusterCount, n);
  const centroids = new Float32Array(k * dimension);
  const distance = new Float64Array(n).fill(Number.POSITIVE_INFINITY);
  let pick = Math.floor(random() * n);
  for (let c = 0; c < k; c++) {
    centroids.set(points.subarray(pick * dimension, pick * dimension + dimension), c * dimension);
    let total = 0;
    for (let q = 0; q < n; q++) {
      let d = 0;
      for (let i = 0; i < dimension; i++) {
        const diff = points[q * dimension + i]! - centroids[c * dimension + i]!;
        d += diff * diff;
      }
      distance[q] = Math.min(distance[q]!, d);
      total += distance[q]! * (weights ? weights[q]! : 1);
    }
    let target = random() * total;
    pick = n - 1;
    for (let q = 0; q < n; q++) {
      target -= distance[q]! * (weights ? weights[q]! : 1);
      if (target < 0) {
        pick = q;
        break;
      }
    }
  }
  let current: Float32Array = centroids;
  let sums = lloydSums(points, weights, current, k, dimension);
  for (let it = 0; it < iterations; it++) {
    const next = centroidsFromSums(sums, current, k, dimension);
    const moved = next.some((v, i) => v !== current[i]);
    current = next;
    sums = lloydSums(points, weights, current, k, dimension);
    if (!moved) break;
  }
  const counts = new Float64Array(k);
  for (let c = 0; c < k; c++) counts[c] = sums[c * (dimension + 2)]!;
  return { centroids: current, counts };
}
