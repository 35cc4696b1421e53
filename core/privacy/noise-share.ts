// One client's share of the distributed discrete Gaussian, added to its fixed-point vector before
// masking: secure aggregation then reveals only the noised sum, so nobody (the edge included)
// ever sees an un-noised total. Kept apart from the contribution code: a router kind clips its
// contribution, encodes it, and calls this on the encoded vector.
import { sampleDiscreteGaussian, type UniformInteger } from "./discrete-gaussian.ts";

/**
 * Adds an independent N_Z(0, variance) draw to each element of `vector` from `start` on, mod 2^32
 * (the encoding's two's complement), in place.
 */
export function addNoiseShare(
  vector: Uint32Array,
  variance: number,
  uniform: UniformInteger,
  start = 0,
): Uint32Array {
  if (variance === 0) return vector;
  for (let i = start; i < vector.length; i++) {
    // |noise| < 2^31 with overwhelming probability for any variance a round can use.
    vector[i] = (vector[i]! + Number(sampleDiscreteGaussian(variance, uniform))) >>> 0;
  }
  return vector;
}

/**
 * The variance of each client's share so that the sum over `minimumSurvivors` clients carries
 * the central noise (z times the L2 sensitivity, in fixed-point units). A round that loses clients
 * down to its threshold still has the noise it was planned with; more survivors only add noise.
 */
export function localNoiseVariance(
  noiseMultiplier: number,
  l2Sensitivity: number,
  minimumSurvivors: number,
): number {
  if (!(minimumSurvivors >= 1)) throw new RangeError("a round needs at least one survivor");
  return (noiseMultiplier * l2Sensitivity) ** 2 / minimumSurvivors;
}
