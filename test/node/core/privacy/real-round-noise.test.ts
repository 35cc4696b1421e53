// The noise of a real round, through the SDK's own encoding (encodeForRound, which participate()
// calls): clients with zero updates send only their noise shares, and the sum that secure
// aggregation reveals (sumEncoded is what it reproduces exactly) has the accounted central
// variance when only the threshold of clients survives, and more with more survivors. Also the
// clip in units, the client's refusals, and the spend a model file states.
import { afterEach, describe, expect, it, vi } from "vitest";
import { encodeForRound } from "../../../../client-sdk/src/round/private-encoding.ts";
import { decodeModelFile, encodeModelFile, type ModelFile } from "../../../../core/model-file.ts";
import { seededUniformInteger } from "../../../../core/privacy/discrete-gaussian.ts";
import { modelPrivacy, withModelPrivacy } from "../../../../core/privacy/model-privacy.ts";
import {
  afterRoundNoise,
  fromUnits,
  roundClip,
  roundEncodingScale,
  roundPrivacyOf,
  roundSensitivity,
  toClippedUnits,
  weakerPrivacy,
} from "../../../../core/privacy/round-privacy.ts";
import { seededRandom } from "../../../../core/random.ts";
import { findRouterKind } from "../../../../core/routers/registry.ts";
import { type EncodingConfig, sumEncoded, toSigned } from "../../../../core/secagg/index.ts";
import type { RoundPrivacy } from "../../../../core/wire/privacy.ts";

const kmeans = findRouterKind("kmeans")!;
const MODELS = [
  { id: "small", inputPrice: 0.1, outputPrice: 0.4 },
  { id: "large", inputPrice: 3, outputPrice: 15 },
];

/** A K-means model file at its first Lloyd pass over `dimension`-d embeddings. */
function kmeansFile(dimension: number): ModelFile {
  const state = kmeans.initialState({
    models: MODELS.map((m) => m.id),
    embedder: { id: `hashing-${dimension}`, dimension },
    hyperparameters: { clusters: 2 },
  });
  return kmeans.algorithm().toModelFile(state);
}

const file = kmeansFile(126);
const length = kmeans.algorithm().contributionLength(kmeans.algorithm().fromModelFile(file));
const cohort = 12;
const threshold = 8;
const privacy: RoundPrivacy = roundPrivacyOf(
  { epsilon: 8, delta: 1e-5, noiseMultiplier: 1.5, clipNorm: 4 },
  threshold,
  MODELS,
);
const clip = { min: -10, max: 10 };
const config: EncodingConfig = {
  clip,
  scale: roundEncodingScale(cohort, clip, privacy, length),
  maxWeight: 1,
  maxClients: cohort,
  vectorLength: length,
};

/** The noise of the survivors' sum, per element, over several rounds (fixed seeds). */
function survivorsNoise(survivors: number, rounds: number): number[] {
  const noise: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const vectors = Array.from(
      { length: survivors },
      (_, i) =>
        encodeForRound(file, new Float64Array(length), config, privacy, {
          uniform: seededUniformInteger(seededRandom(1000 * round + i + 1)),
          rounding: seededRandom(i),
        }).vector,
    );
    const total = sumEncoded(vectors, length + 1);
    // The weight slot counts the survivors and carries no noise.
    expect(Math.abs(toSigned(total[0]!) - survivors * config.scale)).toBeLessThanOrEqual(survivors);
    for (let i = 1; i <= length; i++) noise.push(toSigned(total[i]!));
  }
  return noise;
}

describe("a real round's noise, through the SDK's encoding", () => {
  afterEach(() => vi.restoreAllMocks());

  const central = (privacy.noiseMultiplier * roundSensitivity(privacy, config.scale, length)) ** 2;

  it("sums to the accounted central variance when only the threshold survives (χ², fixed seeds)", () => {
    expect(length).toBe(128);
    const noise = survivorsNoise(threshold, 8);
    const n = noise.length;
    const mean = noise.reduce((a, b) => a + b, 0) / n;
    const ratio = noise.reduce((a, b) => a + b * b, 0) / n / central;
    // n·ratio is χ² with n degrees of freedom: within 4 standard deviations (√(2/n) relative).
    expect(Math.abs(ratio - 1)).toBeLessThan(4 * Math.sqrt(2 / n));
    expect(Math.abs(mean)).toBeLessThan(4 * Math.sqrt(central / n));
  });

  it("accounts for dropouts: more survivors than the threshold only add noise", () => {
    const noise = survivorsNoise(cohort, 8);
    const n = noise.length;
    const ratio = noise.reduce((a, b) => a + b * b, 0) / n / central;
    expect(Math.abs(ratio - cohort / threshold)).toBeLessThan(4 * (cohort / threshold) * Math.sqrt(2 / n));
    expect(ratio).toBeGreaterThan(1);
  });

  it("draws its noise from Web Crypto by default, never Math.random", () => {
    const random = vi.spyOn(Math, "random");
    const draw = () => encodeForRound(file, new Float64Array(length), config, privacy).vector;
    const [a, b] = [draw(), draw()];
    expect(random).not.toHaveBeenCalled();
    expect(a.some((value, i) => value !== b[i])).toBe(true);
  });

  it("clips in units: the encoded contribution is at most the clip norm, and the edge's units restore it", () => {
    const state = kmeans.algorithm().fromModelFile(file);
    const roundClipped = roundClip("kmeans", state, length, privacy);
    // A Lloyd pass's squared errors are in units of 4 (unit vectors lie at most 2 apart).
    expect(roundClipped.units?.[1]).toBe(4);
    const contribution = Float64Array.from({ length }, (_, i) => (i % 7) - 3);
    const original = Float64Array.from(contribution);
    const inUnits = toClippedUnits(contribution, roundClipped);
    const norm = Math.hypot(...inUnits);
    expect(norm).toBeCloseTo(privacy.clipNorm, 9);
    // Multiplying back gives the original direction, scaled down to the clip.
    const back = fromUnits(Float64Array.from(inUnits), roundClipped);
    const factor = back[0]! / original[0]!;
    for (let i = 0; i < length; i++) expect(back[i]).toBeCloseTo(original[i]! * factor, 9);
    expect(factor).toBeLessThan(1);
    // Lloyd passes are published as they are; statistics passes lose their small cells (kmeans-clip.ts).
    expect(afterRoundNoise("kmeans", state, Float64Array.from(back), privacy)).toEqual(back);
  });

  it("gives cost units from list prices, and refuses a round weaker than the declared budget", () => {
    expect(privacy.costUnits).toEqual([0.0005, 0.018]);
    expect(privacy.noiseShares).toBe(threshold);
    const declared = { noiseMultiplier: 1.5, clipNorm: 4 };
    expect(weakerPrivacy(privacy, declared, threshold)).toBeUndefined();
    expect(weakerPrivacy(undefined, declared, threshold)).toMatch(/asks for no noise/);
    expect(weakerPrivacy({ ...privacy, noiseMultiplier: 1 }, declared, threshold)).toMatch(
      /noise multiplier 1 is below/,
    );
    expect(weakerPrivacy({ ...privacy, clipNorm: 5 }, declared, threshold)).toMatch(/clip norm 5 is above/);
    expect(weakerPrivacy(privacy, declared, threshold - 1)).toMatch(/more than the round's threshold/);
  });
});

describe("the spend in a model file", () => {
  it("survives encoding, reads back, and a malformed one is refused", () => {
    const spent = { epsilon: 1.25, delta: 1e-5, rounds: 3 };
    const stamped = decodeModelFile(encodeModelFile(withModelPrivacy(file, spent)));
    expect(modelPrivacy(stamped)).toEqual(spent);
    expect(modelPrivacy(file)).toBeUndefined();
    expect(() => modelPrivacy({ meta: { privacy: { epsilon: -1 } } })).toThrow(/malformed/);
    // The router still reads a stamped file.
    expect(kmeans.algorithm().fromModelFile(stamped)).toEqual(kmeans.algorithm().fromModelFile(file));
  });
});
