// The RDP accountant against the values in Google's dp_accounting tests
// (python/dp_accounting/dp_accounting/rdp/rdp_privacy_accountant_test.py), to 1e-6 relative.
import { describe, expect, it } from "vitest";
import { deltaFromRdp, epsilonFromRdp } from "../../../../core/privacy/conversion.ts";
import { DEFAULT_RDP_ORDERS } from "../../../../core/privacy/orders.ts";
import { logA, subsampledGaussianRdp } from "../../../../core/privacy/subsampled-gaussian.ts";

function expectRelative(actual: number, expected: number, tolerance = 1e-6): void {
  expect(Math.abs(actual - expected) / Math.abs(expected)).toBeLessThan(tolerance);
}

describe("RDP of the Poisson-subsampled Gaussian", () => {
  it("matches dp_accounting's test_compute_rdp_poisson_sampled_gaussian (q 0.01, z 2.5, 50 steps)", () => {
    const rdp = subsampledGaussianRdp(0.01, 2.5, [1.5, 2.5, 5, 50, 100, Number.POSITIVE_INFINITY]);
    const expected = [6.70579741e-4, 1.0854871e-3, 2.18075656e-3, 2.38460375e-2, 1.67416308e2];
    for (const [i, value] of expected.entries()) expectRelative((rdp[i] as number) * 50, value);
    expect(rdp[5]).toBe(Number.POSITIVE_INFINITY);
  });

  it("is alpha / (2 z²) without subsampling, 0 without sampling and infinite without noise", () => {
    expectRelative(subsampledGaussianRdp(1, 2.75, [3.25])[0] as number, 3.25 / (2 * 2.75 ** 2), 1e-12);
    expect(subsampledGaussianRdp(0, 1, [3.25])[0]).toBe(0);
    expect(subsampledGaussianRdp(0.1, 0, [2])[0]).toBe(Number.POSITIVE_INFINITY);
  });

  // Reference: dp_accounting's test_compute_log_a_equals_mp integrates A_alpha with mpmath
  // (quad, maxdegree 8); these are that integral's values, at that test's tolerance.
  it.each([
    [1e-7, 0.1, 1.01, 4.003415962982348e-8],
    [1e-6, 0.1, 256, 3260234.5099259755],
    [1e-5, 0.1, 256.1, 3263356.2822869574],
    [1e-6, 1, 27, 8.769502897783603e-10],
    [1e-4, 1, 1.5, 6.442687029768869e-9],
    [1e-3, 1, 2, 1.7182803521333247e-6],
    [0.01, 10, 20, 1.9129699912815486e-4],
    [0.1, 100, 20.5, 1.9991818458118805e-4],
    [0.99, 0.1, 256, 3263768.707742836],
    [0.999, 100, 256.1, 3.260108037973113],
  ])(
    "computes log A for q %d, sigma %d, order %d as numerical integration does",
    (q, sigma, order, reference) => {
      const value = logA(q, sigma, order);
      expect(Math.abs(value - reference)).toBeLessThanOrEqual(1e-8 + 1e-4 * Math.abs(reference));
    },
  );
});

describe("conversion from RDP to (epsilon, delta)", () => {
  it("matches test_compute_epsilon_delta_pure_dp (constant RDP 1.1 over orders 2..32)", () => {
    const orders = Array.from({ length: 31 }, (_, i) => i + 2);
    const rdp = orders.map(() => 1.1);
    const { epsilon, order } = epsilonFromRdp(orders, rdp, 1e-5);
    expectRelative(epsilon, 1.32783806176);
    expect(order).toBe(32);
    const back = deltaFromRdp(orders, rdp, 1.32783806176);
    expectRelative(back.delta, 1e-5);
    expect(back.order).toBe(32);
  });

  it("matches test_compute_epsilon_delta_gaussian: z 4.530877117 is exactly (1, 1e-6)-DP", () => {
    const orders = Array.from({ length: 99000 }, (_, i) => 0.001 * (i + 1000));
    const rdp = subsampledGaussianRdp(1, 4.530877117, orders);
    expectRelative(epsilonFromRdp(orders, rdp, 1e-6).epsilon, 1);
    expectRelative(deltaFromRdp(orders, rdp, 1).delta, 1e-6);
  });

  it("bounds delta between the optimal Gaussian delta and the standard bound (test_delta_bounds_gaussian)", () => {
    const orders = Array.from({ length: 495 }, (_, x) => 0.1 * (x + 10));
    const rdp = subsampledGaussianRdp(1, 1, orders);
    for (let step = 0; step < 500; step += 7) {
      const epsilon = 0.1 * step;
      const { delta } = deltaFromRdp(orders, rdp, epsilon);
      // Balle and Wang 2018, Theorem 8: the exact delta of the Gaussian mechanism.
      const optimal =
        0.5 * erfc((epsilon - 0.5) / Math.SQRT2) -
        0.5 * Math.exp(epsilon) * erfc((epsilon + 0.5) / Math.SQRT2);
      expect(optimal).toBeLessThanOrEqual(delta + 1e-12);
      const standard = epsilon >= 0.5 ? Math.exp(-0.5 * (epsilon - 0.5) ** 2) : 1;
      expect(delta).toBeLessThanOrEqual(standard + 1e-300);
    }
  });

  it("round-trips epsilon and delta (test_epsilon_delta_consistency)", () => {
    const orders = Array.from({ length: 48 }, (_, i) => i + 2);
    for (const q of [0, 0.01, 0.1, 0.8, 1]) {
      for (const z of [0, 0.1, 1, 10, 100]) {
        const rdp = subsampledGaussianRdp(q, z, orders);
        for (const delta of [0.99, 0.9, 0.1, 0.01, 1e-3, 1e-5, 1e-9, 1e-12]) {
          const { epsilon } = epsilonFromRdp(orders, rdp, delta);
          const back = deltaFromRdp(orders, rdp, epsilon).delta;
          if (epsilon === Number.POSITIVE_INFINITY) expect(back).toBe(1);
          else if (epsilon === 0) expect(back).toBeLessThanOrEqual(delta);
          else expect(back).toBeCloseTo(delta, 7);
        }
      }
    }
  });

  it("uses dp_accounting's default orders", () => {
    expect(DEFAULT_RDP_ORDERS).toHaveLength(99 + 53 + 4);
    expect(DEFAULT_RDP_ORDERS.slice(0, 3)).toEqual([1.1, 1.2, 1.3]);
    expect(DEFAULT_RDP_ORDERS[98]).toBeCloseTo(10.9, 12);
    expect(DEFAULT_RDP_ORDERS.slice(99, 101)).toEqual([11, 12]);
    expect(DEFAULT_RDP_ORDERS.slice(-5)).toEqual([63, 128, 256, 512, 1024]);
  });
});

/** erfc for the test's reference bound only (the series is fine on the small range used). */
function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  // Abramowitz and Stegun 7.1.26 is too coarse here; integrate e^{-t²} by Simpson's rule.
  const upper = x + 12;
  const n = 4000;
  const h = (upper - x) / n;
  let total = Math.exp(-x * x) + Math.exp(-upper * upper);
  for (let i = 1; i < n; i++) total += (i % 2 === 1 ? 4 : 2) * Math.exp(-((x + i * h) ** 2));
  return ((2 / Math.sqrt(Math.PI)) * total * h) / 3;
}
