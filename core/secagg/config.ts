// A secure-aggregation round's configuration and the check that its sum cannot overflow mod 2^32.
import * as z from "zod";
import { majorityShortfall } from "./floors.ts";
import { fail, SECAGG_ERROR, type SecAggResult } from "./result.ts";

/** Largest vector length accepted: 2^26 elements (256 MiB as Uint32), well past the 4M required. */
export const MAX_VECTOR_LENGTH = 2 ** 26;
/** Encoded totals are read as signed 32-bit integers, so every partial sum must stay below 2^31. */
export const MAX_ENCODED_MAGNITUDE = 2 ** 31 - 1;

export const curveSchema = z.enum(["X25519", "P-256"]);
/** The key-agreement curve of a round; both sides of a round use the same. */
export type Curve = z.infer<typeof curveSchema>;

export const roundConfigSchema = z.object({
  /** Identifies the round; bound into every message, share encryption and mask derivation. */
  roundId: z.string().min(1).max(200),
  curve: curveSchema,
  /** Most clients that may take part (the sum's overflow bound uses it). */
  maxClients: z.number().int().min(2),
  /** Shamir threshold t: shares needed to reconstruct a secret, and fewest survivors before aborting. */
  threshold: z.number().int().min(1),
  /** Neighbours per client: an even k for the SecAgg+ k-regular graph, or the complete graph. */
  neighbourDegree: z.union([z.number().int().min(2), z.literal("complete")]),
  /** Elements in a client's update x; the masked vector is [w, w*x], one longer. */
  vectorLength: z.number().int().min(1).max(MAX_VECTOR_LENGTH),
  /** Values of x outside [min, max] are clipped (and counted) before encoding. */
  clip: z.object({ min: z.number(), max: z.number() }),
  /** Fixed-point scale: a value v is encoded as round(v * scale). */
  scale: z.number().positive(),
  /** Largest client weight w (e.g. examples seen); weights are in [0, maxWeight]. */
  maxWeight: z.number().positive(),
});

export type RoundConfig = z.infer<typeof roundConfigSchema>;

/** The parts of a round's configuration that fixed-point encoding needs. */
export type EncodingConfig = Pick<
  RoundConfig,
  "clip" | "scale" | "maxWeight" | "maxClients" | "vectorLength"
>;

/** Elements in the masked vector [w, w*x_1, ..., w*x_n]. */
export function maskedLength(config: Pick<RoundConfig, "vectorLength">): number {
  return config.vectorLength + 1;
}

/** Largest magnitude one client's encoded element can take (stochastic rounding rounds up at most to the ceiling). */
export function encodedElementBound(config: EncodingConfig): number {
  const valueBound = Math.max(Math.abs(config.clip.min), Math.abs(config.clip.max));
  return Math.ceil(Math.max(valueBound * config.maxWeight * config.scale, config.maxWeight * config.scale));
}

/**
 * Standard deviations of differential-privacy noise an encoding leaves room for. The sum of the
 * clients' discrete Gaussian shares is subgaussian with their total variance, so one element lies
 * past 10 of them with probability below 2·e^-50 (about 4e-22): over 2^26 elements, below 1e-13.
 */
export const NOISE_TAIL_STDDEVS = 10;

/** The differential-privacy noise a round's encoding must leave room for (docs/privacy.md). */
export interface EncodingNoise {
  /** Central noise standard deviation over the L2 sensitivity. */
  noiseMultiplier: number;
  /** L2 norm each contribution is clipped to, in encoded units (before the fixed-point scale). */
  clipNorm: number;
  /** Clients the central variance is split over: each adds 1/shares of it. */
  shares: number;
  /** Noised elements: stochastic rounding adds up to √dimension steps to the sensitivity. */
  dimension: number;
}

/**
 * The noise on one element of a sum of `clients` shares at `scale`, in fixed-point steps, that
 * it exceeds only with the tail probability of NOISE_TAIL_STDDEVS (its standard deviation is
 * z·(clipNorm·scale + √d)·√(clients/shares)).
 */
export function noiseTailBound(noise: EncodingNoise, clients: number, scale: number): number {
  const sensitivity = noise.clipNorm * scale + Math.sqrt(noise.dimension);
  return NOISE_TAIL_STDDEVS * noise.noiseMultiplier * sensitivity * Math.sqrt(clients / noise.shares);
}

/**
 * The fixed-point scale for a round: as fine as possible while maxClients clipped values
 * (weight 1) still sum below 2^31 with a factor-two margin for stochastic rounding. With `noise`,
 * the margin below 2^30 also holds every client's noise share at its tail bound, when all
 * maxClients add one: maxClients·bound·scale + noiseTailBound(noise, maxClients, scale) = 2^30.
 * A noise too large for 32 bits gives a scale of 0 or less, which no round validates.
 */
export function encodingScale(
  maxClients: number,
  clip: { min: number; max: number },
  noise?: EncodingNoise,
): number {
  const bound = Math.max(Math.abs(clip.min), Math.abs(clip.max), 1);
  if (!noise) return 2 ** 30 / (maxClients * bound);
  // noiseTailBound is spread·(clipNorm·scale + √d): solve the equality above for the scale.
  const spread = NOISE_TAIL_STDDEVS * noise.noiseMultiplier * Math.sqrt(maxClients / noise.shares);
  const room = 2 ** 30 - spread * Math.sqrt(noise.dimension);
  return room / (maxClients * bound + spread * noise.clipNorm);
}

/** Checks the encoding parameters alone: the clipping range, and that maxClients encoded values sum below 2^31. */
export function validateEncodingConfig(config: EncodingConfig): SecAggResult<EncodingConfig> {
  const { clip, scale, maxWeight, maxClients } = config;
  if (!(Number.isFinite(clip.min) && Number.isFinite(clip.max) && clip.min < clip.max))
    return fail(
      SECAGG_ERROR.INVALID_CONFIG,
      `clipping range [${clip.min}, ${clip.max}] must be finite with min < max`,
    );
  if (!(Number.isFinite(scale) && scale > 0 && Number.isFinite(maxWeight) && maxWeight > 0))
    return fail(SECAGG_ERROR.INVALID_CONFIG, "scale and maxWeight must be positive finite numbers");
  const bound = encodedElementBound(config);
  const worst = maxClients * bound;
  if (!(worst <= MAX_ENCODED_MAGNITUDE)) {
    const largestScale = Math.floor(MAX_ENCODED_MAGNITUDE / maxClients / (bound / scale));
    return fail(
      SECAGG_ERROR.INVALID_CONFIG,
      `the sum could overflow: ${maxClients} clients x max |w*x*scale| ${bound} = ${worst} exceeds 2^31 - 1; ` +
        `lower the scale (at most about ${largestScale}), the clipping range, maxWeight or maxClients`,
    );
  }
  return { ok: true, value: config };
}

/** Validates a round configuration (shape, graph, majority threshold and overflow); refuses it with a clear message. */
export function validateRoundConfig(input: unknown): SecAggResult<RoundConfig> {
  const parsed = roundConfigSchema.safeParse(input);
  if (!parsed.success)
    return fail(SECAGG_ERROR.INVALID_CONFIG, `round config: ${z.prettifyError(parsed.error)}`);
  const config = parsed.data;
  const { maxClients, threshold, neighbourDegree } = config;
  if (neighbourDegree !== "complete") {
    if (neighbourDegree % 2 !== 0)
      return fail(
        SECAGG_ERROR.INVALID_CONFIG,
        `neighbourDegree ${neighbourDegree} must be even (k-regular ring graph)`,
      );
    if (threshold > neighbourDegree)
      return fail(
        SECAGG_ERROR.INVALID_CONFIG,
        `threshold ${threshold} exceeds neighbourDegree ${neighbourDegree}`,
      );
  }
  if (threshold > maxClients - 1)
    return fail(
      SECAGG_ERROR.INVALID_CONFIG,
      `threshold ${threshold} exceeds maxClients - 1 = ${maxClients - 1} (each secret is shared among neighbours)`,
    );
  // Below a strict majority a lying server could rebuild both secrets of a client (floors.ts).
  const majority = majorityShortfall(threshold, neighbourDegree, maxClients);
  if (majority) return fail(SECAGG_ERROR.INVALID_CONFIG, majority);
  const encoding = validateEncodingConfig(config);
  if (!encoding.ok) return encoding;
  return { ok: true, value: config };
}
