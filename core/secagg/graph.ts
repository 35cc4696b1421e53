// The neighbour graph of a round: complete for small cohorts, or the SecAgg+ k-regular graph
// (a Harary ring graph over a seeded random permutation of the clients).
import { seededRandom, shuffle } from "../random.ts";

/** Neighbours per log2 of the cohort size that a round may give each client (see maxNeighbourDegree). */
const DEGREE_PER_LOG2 = 8;
/** Cohorts up to this size plus one may use the complete graph whatever the rule per log2. */
const SMALL_COHORT_DEGREE = 64;

/**
 * The most neighbours a client may have in a cohort of up to `cohortSize`: SecAgg+ needs k of
 * order log2 n (chooseParameters picks 46 at n = 100, 50 at 1000, 58 at 100,000), while each
 * neighbour costs its client a key agreement and a mask stream, and the round a sealed and a
 * revealed share per client, n * k of each: a complete graph over 1000 clients seals about 150 MB.
 */
export function maxNeighbourDegree(cohortSize: number): number {
  return Math.max(SMALL_COHORT_DEGREE, DEGREE_PER_LOG2 * Math.ceil(Math.log2(Math.max(2, cohortSize))));
}

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
