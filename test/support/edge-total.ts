// The total the edge decodes from clients' contributions: each encoded at the scale the edge picks
// for the cohort (weight 1, seeded stochastic rounding), summed mod 2^32 and decoded, with the
// context the edge passes to a kind's checkTotal. Tests of those checks use it to include rounding.
import { seededRandom } from "../../core/random.ts";
import type { TotalContext } from "../../core/routers/kind.ts";
import { decode, encode, encodingScale, quantisationBound, sumEncoded } from "../../core/secagg/index.ts";

export interface EdgeTotal {
  total: Float64Array;
  context: TotalContext;
}

/** Clipping range of the tests' federations: above any count or sum their small clients make. */
export const TEST_CLIP = { min: -256, max: 256 };

export function edgeTotal(contributions: readonly Float64Array[], clip = TEST_CLIP): EdgeTotal {
  const participants = contributions.length;
  const vectorLength = contributions[0]!.length;
  const scale = encodingScale(participants, clip);
  const config = { clip, scale, maxWeight: 1, maxClients: participants, vectorLength };
  const vectors = contributions.map((c, i) => encode(c, 1, config, seededRandom(i + 1)).vector);
  const { weightedSum } = decode(sumEncoded(vectors, vectorLength + 1), scale);
  return {
    total: weightedSum,
    context: { participants, resolution: quantisationBound(participants, scale) },
  };
}

/** `contributions` with client 0's replaced by `change` of a copy of it: one malicious client. */
export function withFirstChanged(
  contributions: readonly Float64Array[],
  change: (own: Float64Array) => void,
): Float64Array[] {
  const own = Float64Array.from(contributions[0]!);
  change(own);
  return [own, ...contributions.slice(1)];
}
