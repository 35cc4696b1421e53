// Fixed-point encoding of weighted updates into integers mod 2^32: clipping, stochastic rounding,
// the [w, w*x] layout, plain summation and decoding. Secure aggregation computes exactly `sumEncoded`.
import type { Random } from "../random.ts";
import type { EncodingConfig } from "./config.ts";

/** What a client's encoding did to its update, reported alongside (never inside) the masked vector. */
export interface ClientReport {
  weight: number;
  /** Elements below clip.min, set to clip.min. */
  clippedLow: number;
  /** Elements above clip.max, set to clip.max. */
  clippedHigh: number;
  /** NaN elements, encoded as 0. */
  nonFinite: number;
}

export interface EncodedUpdate {
  /** [enc(w), enc(w*x_1), ..., enc(w*x_n)] as two's-complement integers mod 2^32. */
  vector: Uint32Array;
  report: ClientReport;
}

/** Uniform numbers in [0, 1) from crypto.getRandomValues, buffered; the default rounding randomness. */
export function cryptoRandom(): Random {
  const buffer = new Uint32Array(1024);
  let next = buffer.length;
  return () => {
    if (next === buffer.length) {
      crypto.getRandomValues(buffer);
      next = 0;
    }
    return buffer[next++]! / 4294967296;
  };
}

/** round(value) to floor or ceiling, up with probability equal to the fraction: unbiased in expectation. */
export function stochasticRound(value: number, random: Random): number {
  const floor = Math.floor(value);
  return random() < value - floor ? floor + 1 : floor;
}

/**
 * Encodes [w, w*clip(x)] with fixed-point scale and stochastic rounding. Throws RangeError on a
 * wrong length or a weight outside [0, maxWeight] (programming errors, not protocol events).
 * Randomness is drawn for the weight first, then for each element in order, so the same `random`
 * gives the same encoding.
 */
export function encode(
  update: ArrayLike<number>,
  weight: number,
  config: EncodingConfig,
  random: Random = cryptoRandom(),
): EncodedUpdate {
  if (update.length !== config.vectorLength)
    throw new RangeError(`update has length ${update.length}, the round expects ${config.vectorLength}`);
  if (!(weight >= 0 && weight <= config.maxWeight))
    throw new RangeError(`weight ${weight} is outside [0, ${config.maxWeight}]`);
  const { scale } = config;
  const { min, max } = config.clip;
  const vector = new Uint32Array(update.length + 1);
  const report: ClientReport = { weight, clippedLow: 0, clippedHigh: 0, nonFinite: 0 };
  // Storing a negative integer into a Uint32Array wraps it mod 2^32: two's complement for free.
  vector[0] = stochasticRound(weight * scale, random);
  const factor = weight * scale;
  for (let i = 0; i < update.length; i++) {
    let x = update[i]!;
    if (x < min) {
      x = min;
      report.clippedLow++;
    } else if (x > max) {
      x = max;
      report.clippedHigh++;
    } else if (Number.isNaN(x)) {
      x = 0;
      report.nonFinite++;
    }
    vector[i + 1] = stochasticRound(x * factor, random);
  }
  return { vector, report };
}

/** target += source element-wise mod 2^32 (equal lengths). The hot loop of aggregation. */
export function addInto(target: Uint32Array, source: Uint32Array): Uint32Array {
  if (target.length !== source.length)
    throw new RangeError(
      `cannot add a vector of length ${source.length} into one of length ${target.length}`,
    );
  for (let i = 0; i < target.length; i++) target[i]! += source[i]!;
  return target;
}

/** The plain (unmasked) sum of encoded vectors mod 2^32: what secure aggregation must reproduce exactly. */
export function sumEncoded(vectors: readonly Uint32Array[], length: number): Uint32Array {
  const total = new Uint32Array(length);
  for (const v of vectors) addInto(total, v);
  return total;
}

/** An encoded total element read as a signed integer (valid while partial sums stay below 2^31). */
export function toSigned(value: number): number {
  return value | 0;
}

export interface DecodedTotal {
  /** Sum of the clients' weights. */
  weightTotal: number;
  /** Sum over clients of w * x, element-wise. */
  weightedSum: Float64Array;
  /** weightedSum / weightTotal, the weighted average (NaN when the weights sum to zero). */
  average: Float64Array;
}

/** Decodes a total [sum enc(w), sum enc(w*x)] into the weight total, weighted sum and weighted average. */
export function decode(total: Uint32Array, scale: number): DecodedTotal {
  const encodedWeight = toSigned(total[0] ?? 0);
  const weightedSum = new Float64Array(Math.max(0, total.length - 1));
  const average = new Float64Array(weightedSum.length);
  decodeChunk(total.subarray(1), encodedWeight, scale, weightedSum, average);
  return { weightTotal: encodedWeight / scale, weightedSum, average };
}

/**
 * Decodes a chunk of the weighted elements (not the weight slot) given the encoded weight total,
 * so a Durable Object can decode a total stored in chunks. Writes into the given outputs.
 */
export function decodeChunk(
  chunk: Uint32Array,
  encodedWeightTotal: number,
  scale: number,
  weightedSum: Float64Array,
  average: Float64Array,
): void {
  // The scale cancels in the average: (T_i / s) / (T_0 / s) = T_i / T_0.
  const inverse = encodedWeightTotal === 0 ? Number.NaN : 1 / encodedWeightTotal;
  for (let i = 0; i < chunk.length; i++) {
    const t = chunk[i]! | 0;
    weightedSum[i] = t / scale;
    average[i] = t * inverse;
  }
}

/**
 * Largest error of a decoded weighted sum against the float sum of the clipped values: each
 * client's stochastic rounding moves an element by less than one unit of 1/scale.
 */
export function quantisationBound(clients: number, scale: number): number {
  return clients / scale;
}
