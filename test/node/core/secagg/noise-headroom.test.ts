// The fixed-point encoding leaves room for differential-privacy noise: with the noise, a round's
// scale keeps every element of the sum (all clients at the clipping bound, plus their noise shares
// at the tail bound) below 2^30, so the noise cannot wrap the modulus; without that room it does.
import { describe, expect, it } from "vitest";
import { seededUniformInteger } from "../../../../core/privacy/discrete-gaussian.ts";
import { addNoiseShare } from "../../../../core/privacy/noise-share.ts";
import { noiseShareVariance } from "../../../../core/privacy/round-privacy.ts";
import { seededRandom } from "../../../../core/random.ts";
import {
  decode,
  type EncodingNoise,
  encode,
  encodingScale,
  noiseTailBound,
  sumEncoded,
  validateEncodingConfig,
} from "../../../../core/secagg/index.ts";

const clip = { min: -1, max: 1 };

describe("encodingScale with privacy noise", () => {
  it("solves for the scale at which the clients' values and their noise's tail bound reach 2^30", () => {
    for (const [clients, noise] of [
      [6, { noiseMultiplier: 4, clipNorm: 1, shares: 3, dimension: 40 }],
      [1000, { noiseMultiplier: 0.7, clipNorm: 16, shares: 501, dimension: 4_000_000 }],
    ] as const) {
      const scale = encodingScale(clients, { min: -3, max: 3 }, noise);
      expect(scale).toBeGreaterThan(0);
      expect(scale).toBeLessThan(encodingScale(clients, { min: -3, max: 3 }));
      expect(clients * 3 * scale + noiseTailBound(noise, clients, scale)).toBeCloseTo(2 ** 30, 0);
    }
  });

  it("gives no usable scale when the noise alone would fill 32 bits", () => {
    const noise = { noiseMultiplier: 1e4, clipNorm: 1, shares: 1, dimension: 4_000_000 };
    const scale = encodingScale(1000, clip, noise);
    expect(scale).toBeLessThanOrEqual(0);
    const config = { clip, scale, maxWeight: 1, maxClients: 1000, vectorLength: 10 };
    expect(validateEncodingConfig(config).ok).toBe(false);
  });

  it("keeps every noised sum of clients at the clipping bound from wrapping; the scale without room wraps", () => {
    const clients = 6;
    const noise: EncodingNoise = { noiseMultiplier: 4, clipNorm: 1, shares: 3, dimension: 40 };
    const privacy = { noiseMultiplier: 4, clipNorm: 1, noiseShares: 3, costUnits: [] };
    const sumAt = (scale: number) => {
      const config = { clip, scale, maxWeight: 1, maxClients: clients, vectorLength: noise.dimension };
      const uniform = seededUniformInteger(seededRandom(17));
      const vectors = Array.from({ length: clients }, (_, i) => {
        const encoded = encode(new Float64Array(noise.dimension).fill(1), 1, config, seededRandom(i)).vector;
        return addNoiseShare(encoded, noiseShareVariance(privacy, scale, noise.dimension), uniform, 1);
      });
      return decode(sumEncoded(vectors, noise.dimension + 1), scale).weightedSum;
    };
    const roomy = encodingScale(clients, clip, noise);
    const tail = noiseTailBound(noise, clients, roomy) / roomy;
    for (const value of sumAt(roomy)) expect(Math.abs(value - clients)).toBeLessThanOrEqual(tail);
    // The spread is real noise, not a scale so coarse that nothing moves.
    const spread = Math.max(...sumAt(roomy).map((v) => Math.abs(v - clients)));
    expect(spread).toBeGreaterThan(tail / 100);
    // Without the room, the same noise pushes some elements past 2^31 and they read back negative.
    const cramped = encodingScale(clients, clip);
    expect(sumAt(cramped).some((value) => value < 0)).toBe(true);
  });
});
