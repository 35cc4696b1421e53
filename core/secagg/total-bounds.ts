// What a decoded total of honest encodings satisfies whatever it sums: its weight slot is the
// clients' weights, and each element lies within their clipping range. A client that skips the
// SDK's encoding (a weight it does not have, a value past the clipping range, a number chosen to
// wrap the sum mod 2^32) can only be caught here, after unmasking: masks hide each input.
import type { EncodingConfig } from "./config.ts";
import { quantisationBound } from "./encoding.ts";

/** Who the total sums: `participants` clients, each of weight `weight`. */
export interface TotalWeights {
  participants: number;
  weight: number;
}

function shown(value: number): string {
  return String(Number(value.toPrecision(6)));
}

/**
 * Why a decoded total (the weight total and the weighted sums, `decode`'s outputs) cannot be the
 * sum of honest encodings, or undefined when it can. Each client's stochastic rounding moves an
 * element by less than 1/scale, so the weight total lies within participants/scale of the true one.
 * `noise`: how far differential-privacy noise may move each element (not the weight, which carries
 * none), in decoded units (noiseTailBound / scale); 0 without it.
 */
export function implausibleTotal(
  weightedSum: ArrayLike<number>,
  weightTotal: number,
  { participants, weight }: TotalWeights,
  config: Pick<EncodingConfig, "clip" | "scale">,
  noise = 0,
): string | undefined {
  const resolution = quantisationBound(participants, config.scale);
  const expected = participants * weight;
  if (!(Math.abs(weightTotal - expected) <= resolution * (1 + 1e-9)))
    return (
      `the weight slot sums to ${shown(weightTotal)}, but ${participants} clients of weight ${weight} ` +
      `sum to ${expected}: a client sent a weight it does not have`
    );
  // NaN elements are encoded as 0, which may lie outside a range that excludes it.
  const low = expected * Math.min(config.clip.min, 0) - resolution - noise;
  const high = expected * Math.max(config.clip.max, 0) + resolution + noise;
  for (let i = 0; i < weightedSum.length; i++) {
    const value = weightedSum[i]!;
    if (!(value >= low && value <= high))
      return (
        `element ${i} of the total is ${shown(value)}, outside [${shown(low)}, ${shown(high)}], the range of ` +
        `${participants} clipped values${noise > 0 ? " with their noise" : ""}: a client skipped clipping`
      );
  }
  return undefined;
}
