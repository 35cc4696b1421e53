// The distributed discrete Gaussian's accounting (Kairouz, Liu and Steinke 2021), its sampler
// (Canonne, Kamath and Steinke 2020), the noise shares a round adds, and the ledger over rounds.
import { describe, expect, it } from "vitest";
import { noiseMultiplierFor, planEpsilon } from "../../../../core/privacy/calibration.ts";
import { epsilonFromRdp } from "../../../../core/privacy/conversion.ts";
import {
  cryptoUniformInteger,
  sampleDiscreteGaussian,
  seededUniformInteger,
} from "../../../../core/privacy/discrete-gaussian.ts";
import {
  distributedDiscreteGaussianRdp,
  distributedDiscreteGaussianRdpAt,
  sumInflation,
} from "../../../../core/privacy/distributed-discrete-gaussian.ts";
import { affordable, type NoisedRelease, spent } from "../../../../core/privacy/ledger.ts";
import { addNoiseShare, localNoiseVariance } from "../../../../core/privacy/noise-share.ts";
import { subsampledGaussianRdp } from "../../../../core/privacy/subsampled-gaussian.ts";
import { seededRandom } from "../../../../core/random.ts";

describe("accounting for the distributed discrete Gaussian", () => {
  it("computes tau as 10 times the sum over k < n of exp(-2 pi² sigma² k/(k+1))", () => {
    const sigma = 0.5;
    const byHand =
      10 * (Math.exp(-2 * Math.PI ** 2 * 0.25 * 0.5) + Math.exp(-2 * Math.PI ** 2 * 0.25 * (2 / 3)));
    expect(sumInflation(sigma, 3)).toBeCloseTo(byHand, 14);
    expect(sumInflation(sigma, 1)).toBe(0);
  });

  it("is the Gaussian's alpha Δ²/(2 n σ²) once the shares are wide enough for tau to vanish", () => {
    const mechanism = { l2Sensitivity: 100, localStddev: 40, clients: 25, dimension: 1000 };
    expect(distributedDiscreteGaussianRdpAt(mechanism, 8)).toBeCloseTo(
      (8 * 100 ** 2) / (2 * 25 * 40 ** 2),
      12,
    );
  });

  it("charges narrow shares more than the Gaussian with the same total variance", () => {
    const narrow = { l2Sensitivity: 1, localStddev: 0.3, clients: 100, dimension: 50 };
    const gaussian = (8 * 1) / (2 * 100 * 0.3 ** 2);
    expect(distributedDiscreteGaussianRdpAt(narrow, 8)).toBeGreaterThan(gaussian);
  });

  it("bounds the subsampled release above the subsampled Gaussian and below the unsubsampled one", () => {
    const mechanism = { l2Sensitivity: 10, localStddev: 5, clients: 100, dimension: 100 };
    const z = (Math.sqrt(100) * 5) / 10;
    const orders = [2, 4, 8, 16, 32];
    const { rdp } = distributedDiscreteGaussianRdp(mechanism, 0.05, 1, orders);
    const exactGaussian = subsampledGaussianRdp(0.05, z, orders);
    orders.forEach((alpha, i) => {
      expect(rdp[i]).toBeGreaterThanOrEqual((exactGaussian[i] as number) * (1 - 1e-9));
      expect(rdp[i]).toBeLessThanOrEqual(alpha / (2 * z * z) + 1e-12);
    });
  });
});

describe("the discrete Gaussian sampler", () => {
  it("draws integers with the discrete Gaussian's variance and mean zero (fixed seed)", () => {
    const uniform = seededUniformInteger(seededRandom(17));
    const variance = 9;
    // The variance of N_Z(0, 9) equals 9 to 1e-30 (the theta-function correction is negligible).
    const draws = 20000;
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < draws; i++) {
      const x = Number(sampleDiscreteGaussian(variance, uniform));
      expect(Number.isInteger(x)).toBe(true);
      sum += x;
      squares += x * x;
    }
    // Four standard errors: the mean's is 3/sqrt(n), the second moment's sqrt(2) 9/sqrt(n).
    expect(Math.abs(sum / draws)).toBeLessThan(4 * (3 / Math.sqrt(draws)));
    expect(Math.abs(squares / draws - variance)).toBeLessThan(
      4 * ((Math.SQRT2 * variance) / Math.sqrt(draws)),
    );
  });

  it("matches the discrete Gaussian's probabilities at 0 and ±1 for variance 1/4 (fixed seed)", () => {
    const uniform = seededUniformInteger(seededRandom(5));
    const weights = [-3, -2, -1, 0, 1, 2, 3].map((x) => Math.exp(-(x * x) / (2 * 0.25)));
    const total = weights.reduce((a, b) => a + b, 0);
    const pZero = (weights[3] as number) / total;
    const draws = 20000;
    let zeros = 0;
    for (let i = 0; i < draws; i++) if (sampleDiscreteGaussian(0.25, uniform) === 0n) zeros++;
    expect(Math.abs(zeros / draws - pZero)).toBeLessThan(4 * Math.sqrt((pZero * (1 - pZero)) / draws));
  });

  it("draws uniform integers from Web Crypto across word boundaries, for noise that protects anyone", () => {
    const uniform = cryptoUniformInteger();
    // A bound just past 2^32 needs two words and rejects most of the second: every draw in range.
    const wide = 2n ** 32n + 5n;
    for (let i = 0; i < 200; i++) {
      const x = uniform(wide);
      expect(x >= 0n && x < wide).toBe(true);
    }
    // Six values, 60,000 draws: each count within 6 standard deviations of 10,000 (a false failure about once in 10^8 runs).
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 60_000; i++) counts[Number(uniform(6n))]!++;
    for (const count of counts)
      expect(Math.abs(count - 10_000)).toBeLessThan(6 * Math.sqrt(60_000 * (1 / 6) * (5 / 6)));
    expect(uniform(1n)).toBe(0n);
    expect(() => uniform(0n)).toThrow(RangeError);
  });
});

describe("noise shares inside secure aggregation", () => {
  it("gives the aggregated sum the intended variance: n shares of sigma²/n sum to sigma² (fixed seed)", () => {
    const uniform = seededUniformInteger(seededRandom(3));
    const clients = 20;
    const length = 400;
    const central = 16 ** 2;
    const share = localNoiseVariance(16, 1, clients);
    const total = new Uint32Array(length);
    for (let c = 0; c < clients; c++) {
      const vector = addNoiseShare(new Uint32Array(length), share, uniform);
      for (let i = 0; i < length; i++) total[i] = (total[i]! + vector[i]!) >>> 0;
    }
    let squares = 0;
    for (const value of total) squares += (value | 0) ** 2;
    const sampleVariance = squares / length;
    // sampleVariance * length / sigma² is chi-square with `length` degrees of freedom: sd sqrt(2 length).
    expect(Math.abs((sampleVariance * length) / central - length)).toBeLessThan(4 * Math.sqrt(2 * length));
  });

  it("leaves the slots before `start` (a public weight) untouched", () => {
    const vector = addNoiseShare(
      Uint32Array.from([7, 0, 0, 0]),
      100,
      seededUniformInteger(seededRandom(1)),
      1,
    );
    expect(vector[0]).toBe(7);
    expect(Array.from(vector.subarray(1)).some((x) => x !== 0)).toBe(true);
  });
});

describe("dropouts and the budget", () => {
  const base = { l2Sensitivity: 1000, dimension: 200, samplingRate: 1 };

  it("accounts a round with its survivors: fewer survivors, less noise, more epsilon", () => {
    const localStddev = Math.sqrt(localNoiseVariance(2, 1000, 50));
    const full: NoisedRelease = { ...base, localStddev, clients: 100 };
    const dropped: NoisedRelease = { ...full, clients: 50 };
    expect(spent([dropped], 1e-5).epsilon).toBeGreaterThan(spent([full], 1e-5).epsilon);
  });

  it("plans shares at the survivor threshold, so the worst round the threshold allows meets the target", () => {
    const plan = { ...base, clients: 60, rounds: 10 };
    const z = noiseMultiplierFor(plan, 4, 1e-5);
    expect(planEpsilon(plan, z, 1e-5)).toBeLessThanOrEqual(4);
    expect(planEpsilon(plan, z / 1.01, 1e-5)).toBeGreaterThan(4);
    // Shares sized for 60 survivors; a round where all 100 stay carries more noise and costs less.
    const localStddev = Math.sqrt(localNoiseVariance(z, 1000, 60));
    const worst = Array.from({ length: 10 }, (): NoisedRelease => ({ ...base, localStddev, clients: 60 }));
    const best = worst.map((r) => ({ ...r, clients: 100 }));
    expect(spent(worst, 1e-5).epsilon).toBeLessThanOrEqual(4 * 1.001);
    expect(spent(best, 1e-5).epsilon).toBeLessThan(spent(worst, 1e-5).epsilon);
  });

  it("refuses a round past the budget and accepts the ones within it", () => {
    const release: NoisedRelease = { ...base, localStddev: 500, clients: 16 };
    const budget = { epsilon: 3, delta: 1e-5 };
    const history: NoisedRelease[] = [];
    for (;;) {
      const verdict = affordable(history, release, budget);
      if (!verdict.ok) {
        expect(verdict.after.epsilon).toBeGreaterThan(3);
        break;
      }
      history.push(release);
      expect(spent(history, 1e-5).epsilon).toBeLessThanOrEqual(3);
    }
    expect(history.length).toBeGreaterThan(0);
  });

  it("converts the ledger's integer orders with the improved conversion", () => {
    const { orders, rdp } = distributedDiscreteGaussianRdp(
      { ...base, localStddev: 100, clients: 100 },
      1,
      1,
      [2.5, 3],
    );
    expect(orders).toEqual([2, 3]);
    expect(epsilonFromRdp(orders, rdp, 1e-5).order).toBe(3);
  });
});
