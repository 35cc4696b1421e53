// The neighbour graph of a round: complete for small cohorts, or the SecAgg+ k-regular graph
// (a Harary ring graph over a seeded random permutation of the clients).
import { seededRandom, shuffle } from "../random.ts";

/** Neighbours each client actually gets among `count` clients: the complete graph once k >= count - 1. */
export function effectiveDegree(count: number, degree: number | "complete"): number {
  return degree === "complete" || degree >= count - 1 ? count - 1 : degree;
}

/**
 * Neighbour lists by position (0..count-1): each client is joined to the k/2 clients on either
 * side of it on a ring whose order is a permutation seeded by the (public) graph seed. The seed is
 * not secret: the graph is public, its randomness only spreads corrupt clients over neighbourhoods.
 */
export function neighbourGraph(count: number, degree: number | "complete", seed: number): number[][] {
  const k = effectiveDegree(count, degree);
  if (k === count - 1) return Array.from({ length: count }, (_, i) => range(count).filter((j) => j !== i));
  if (k % 2 !== 0) throw new RangeError(`a ring graph needs an even degree, got ${k}`);
  const ring = shuffle(seededRandom(seed), range(count));
  const position = new Array<number>(count);
  ring.forEach((client, p) => {
    position[client] = p;
  });
  return range(count).map((client) => {
    const p = position[client]!;
    const neighbours: number[] = [];
    for (let j = 1; j <= k / 2; j++) neighbours.push(ring[(p + j) % count]!, ring[(p - j + count) % count]!);
    return neighbours.sort((a, b) => a - b);
  });
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
