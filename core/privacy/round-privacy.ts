// Client-level differential privacy in a real round, the parts the SDK and the edge share so that
// both sides compute them alike: the clip of a contribution at a global state (the same clip the
// simulation applies, kmeans-clip.ts and mlp-clip.ts), its division into public units before
// encoding and the multiplication back after decoding, each client's noise share, and the
// statistics cells suppressed after noise.
import { KMEANS_KIND, type KMeansState } from "../kmeans/state.ts";
import { MLP_KIND } from "../mlp/router-file.ts";
import type { MlpState } from "../mlp/state.ts";
import { type EncodingNoise, encodingScale } from "../secagg/config.ts";
import type { PrivacySpec, RoundPrivacy } from "../wire/privacy.ts";
import { kmeansClip, suppressSmallCells } from "./kmeans-clip.ts";
import { mlpAfterNoise, mlpClip } from "./mlp-clip.ts";
import { localNoiseVariance } from "./noise-share.ts";
import type { ContributionClip } from "./private-algorithm.ts";

/** A published statistics cell needs a noised count of this many noise standard deviations. */
export const SUPPRESSION_STDDEVS = 2;

/** Tokens each way that a model's public cost unit prices (list prices are per million tokens). */
const COST_UNIT_TOKENS = 1000;

/** A round's privacy block for a federation's budget: split over the round's threshold. */
export function roundPrivacyOf(
  spec: PrivacySpec,
  threshold: number,
  models: readonly { inputPrice: number; outputPrice: number }[],
): RoundPrivacy {
  return {
    noiseMultiplier: spec.noiseMultiplier,
    clipNorm: spec.clipNorm,
    noiseShares: threshold,
    // A free model still needs a positive unit: a thousandth of a cent.
    costUnits: models.map((m) => Math.max(((m.inputPrice + m.outputPrice) * COST_UNIT_TOKENS) / 1e6, 1e-5)),
  };
}

/** What the encoding leaves room for (encodingScale's headroom). */
export function encodingNoise(
  privacy: Pick<RoundPrivacy, "noiseMultiplier" | "clipNorm" | "noiseShares">,
  dimension: number,
): EncodingNoise {
  return {
    noiseMultiplier: privacy.noiseMultiplier,
    clipNorm: privacy.clipNorm,
    shares: privacy.noiseShares,
    dimension,
  };
}

/** The fixed-point scale of a round of `maxClients` with (or without) privacy noise. */
export function roundEncodingScale(
  maxClients: number,
  clip: { min: number; max: number },
  privacy: Pick<RoundPrivacy, "noiseMultiplier" | "clipNorm" | "noiseShares"> | undefined,
  dimension: number,
): number {
  return encodingScale(maxClients, clip, privacy ? encodingNoise(privacy, dimension) : undefined);
}

/** The L2 sensitivity of one client's encoded contribution, in fixed-point steps (clip plus rounding). */
export function roundSensitivity(
  privacy: Pick<RoundPrivacy, "clipNorm">,
  scale: number,
  dimension: number,
): number {
  return privacy.clipNorm * scale + Math.sqrt(dimension);
}

/** The variance of one client's noise share on each element, in fixed-point steps squared. */
export function noiseShareVariance(privacy: RoundPrivacy, scale: number, dimension: number): number {
  return localNoiseVariance(
    privacy.noiseMultiplier,
    roundSensitivity(privacy, scale, dimension),
    privacy.noiseShares,
  );
}

/** The clip of a contribution of `length` values to the global state of a router kind. */
export function roundClip(
  kind: string,
  global: unknown,
  length: number,
  privacy: RoundPrivacy,
): ContributionClip {
  if (kind === KMEANS_KIND)
    return kmeansClip(global as KMeansState, length, { cap: privacy.clipNorm, costUnits: privacy.costUnits });
  // The MLP (mlp-clip.ts): each model's cost sums in its own price unit, what no pass reads
  // kept out of the clip budget.
  if (kind === MLP_KIND)
    return mlpClip(global as MlpState, length, { cap: privacy.clipNorm, costUnits: privacy.costUnits });
  // Any other kind: the whole vector in its own units.
  return { norm: privacy.clipNorm, units: new Float64Array(length).fill(1) };
}

/**
 * The contribution clipped to the round's L2 norm in units and divided into those units, in place:
 * what the client encodes, so that one noise variance per element fits every element.
 */
export function toClippedUnits(contribution: Float64Array, clip: ContributionClip): Float64Array {
  const { units } = clip;
  let squares = 0;
  for (let i = 0; i < contribution.length; i++) {
    contribution[i]! /= units?.[i] ?? 1;
    squares += contribution[i]! ** 2;
  }
  const length = Math.sqrt(squares);
  if (length > clip.norm)
    for (let i = 0; i < contribution.length; i++) contribution[i]! *= clip.norm / length;
  return contribution;
}

/** A decoded total in units multiplied back into the contribution's own, in place. */
export function fromUnits(total: Float64Array, clip: ContributionClip): Float64Array {
  if (clip.units) for (let i = 0; i < total.length; i++) total[i]! *= clip.units[i]!;
  return total;
}

/**
 * A noised total (in the contribution's own units) as the algorithm may read it: a K-means
 * statistics pass has its cells with a noised count below SUPPRESSION_STDDEVS noise standard
 * deviations emptied (kmeans-clip.ts), an MLP statistics pass has its unbudgeted scaled cost
 * copies set aside (mlp-clip.ts); other passes and kinds are unchanged.
 */
export function afterRoundNoise(
  kind: string,
  global: unknown,
  total: Float64Array,
  privacy: RoundPrivacy,
): Float64Array {
  // The MLP's scaled cost copies carried no budget: their noise is set aside (mlp-clip.ts).
  if (kind === MLP_KIND) return mlpAfterNoise(global as MlpState, total);
  if (kind !== KMEANS_KIND) return total;
  const state = global as KMeansState;
  if (state.phase !== "stats" && state.phase !== "extend") return total;
  const width =
    state.phase === "extend" ? (state.added ?? state.config.models.length) : state.config.models.length;
  return suppressSmallCells(total, SUPPRESSION_STDDEVS * privacy.noiseMultiplier * privacy.clipNorm, width);
}

/**
 * Why a round's privacy is weaker than what the federation declared (for people), or undefined:
 * less noise, a looser clip, or the noise split over more clients than the round's threshold (then
 * a round that ends with only its threshold of survivors would carry less than the accounted noise).
 */
export function weakerPrivacy(
  round: RoundPrivacy | undefined,
  declared: Pick<PrivacySpec, "noiseMultiplier" | "clipNorm">,
  threshold: number,
): string | undefined {
  if (!round) return "the federation declared a privacy budget, but the round asks for no noise";
  if (round.noiseMultiplier < declared.noiseMultiplier)
    return `noise multiplier ${round.noiseMultiplier} is below the declared ${declared.noiseMultiplier}`;
  if (round.clipNorm > declared.clipNorm)
    return `clip norm ${round.clipNorm} is above the declared ${declared.clipNorm}`;
  if (round.noiseShares > threshold)
    return `the noise is split over ${round.noiseShares} clients, more than the round's threshold of ${threshold} survivors`;
  return undefined;
}
