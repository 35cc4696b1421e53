// Sharded aggregation (docs/secure-aggregation.md, "Shards"): a cohort larger than the shard size
// runs as several independent SecAgg+ rounds of near-equal size, each among its own members with
// its own k and t, and the federation adds their unmasked totals. The server then learns each
// shard's sum, so every shard is sized to stay above the privacy floors.

import type { PrivacyFloors } from "./floors.ts";
import { chooseParameters } from "./parameters.ts";
import { fail, SECAGG_ERROR, type SecAggResult } from "./result.ts";

/** Clients per shard when the federation names no shard size. */
export const DEFAULT_SHARD_SIZE = 256;

/**
 * What a shard's k and t are chosen for (chooseParameters): 10% of its clients dropping out, 10%
 * corrupt and colluding with the server, as the load targets and the bench assume.
 */
export const SHARD_TARGETS = { dropoutRate: 0.1, corruptFraction: 0.1 } as const;

/**
 * The fewest clients a shard may have: the floors' minimum cohort and survivors (a shard's sum is
 * what the server learns), and one more than the minimum threshold (t must be below the size).
 */
export function smallestShard(floors: PrivacyFloors): number {
  return Math.max(3, floors.minCohort, floors.minSurvivors, floors.minThreshold + 1);
}

/**
 * The sizes of the shards of a cohort of `cohort` clients: one shard (the unsharded round) up to
 * `shardSize`; above it ceil(cohort / shardSize) shards whose sizes differ by at most one (1000
 * clients at 256: four of 250), but never so many that a shard falls below `smallest`.
 */
export function shardSizes(cohort: number, shardSize: number, smallest: number): number[] {
  const wanted = Math.ceil(cohort / shardSize);
  const count = Math.max(1, Math.min(wanted, Math.floor(cohort / smallest)));
  const base = Math.floor(cohort / count);
  const larger = cohort - base * count;
  return Array.from({ length: count }, (_, i) => base + (i < larger ? 1 : 0));
}

/** Splits an ordered cohort into consecutive shards of the given sizes. */
export function splitCohort<T>(cohort: readonly T[], sizes: readonly number[]): T[][] {
  const shards: T[][] = [];
  let start = 0;
  for (const size of sizes) {
    shards.push(cohort.slice(start, start + size));
    start += size;
  }
  return shards;
}

/** A shard's graph and threshold. */
export interface ShardParameters {
  neighbourDegree: number | "complete";
  threshold: number;
}

/**
 * A shard's k and t: chooseParameters for its size (k of order log2 n, t a strict majority of
 * the neighbourhood), t raised to the floors' minimum threshold; refused when that t no longer
 * fits the neighbourhood.
 */
export function shardParameters(size: number, floors: PrivacyFloors): SecAggResult<ShardParameters> {
  const chosen = chooseParameters({ cohortSize: size, ...SHARD_TARGETS });
  if (!chosen.ok) return chosen;
  const { neighbourDegree } = chosen.value;
  const threshold = Math.max(chosen.value.threshold, floors.minThreshold);
  const neighbours = neighbourDegree === "complete" ? size - 1 : neighbourDegree;
  if (threshold > neighbours)
    return fail(
      SECAGG_ERROR.INVALID_CONFIG,
      `a shard of ${size} clients has ${neighbours} neighbours per client, fewer than the minimum threshold ${threshold}`,
    );
  return { ok: true, value: { neighbourDegree, threshold } };
}
