// RDP of the Poisson-subsampled Gaussian mechanism (Mironov, Talwar and Zhang 2019): each record
// (here, each organisation) joins a round with probability q, and the sum of the joined clipped
// contributions gets Gaussian noise of standard deviation z times the clip.
import { logAdd, logBinomial, logErfc } from "./log-math.ts";

/** log A_α for integer α: the binomial expansion of E[(1 - q + q e^{(2x-1)/(2σ²)})^α]. */
function logAInteger(q: number, sigma: number, alpha: number): number {
  let logA = Number.NEGATIVE_INFINITY;
  const logQ = Math.log(q);
  const log1mq = Math.log1p(-q);
  for (let i = 0; i <= alpha; i++) {
    const logCoefficient = logBinomial(alpha, i) + i * logQ + (alpha - i) * log1mq;
    logA = logAdd(logA, logCoefficient + (i * i - i) / (2 * sigma * sigma));
  }
  return logA;
}

const MAX_FRACTIONAL_TERMS = 1000;

/**
 * log A_α for fractional α (Mironov et al. 2019, section 3.3): the integral is split at
 * z0 = σ² log(1/q - 1) + 1/2, where the two terms of the mixture cross, and each half is an
 * alternating-free series whose terms carry a Gaussian tail (erfc). Summed until both halves'
 * terms decrease and fall 30 nats below the total; Infinity when it does not converge, which
 * drops the order from the minimum.
 */
function logAFractional(q: number, sigma: number, alpha: number): number {
  let logA0 = Number.NEGATIVE_INFINITY;
  let logA1 = Number.NEGATIVE_INFINITY;
  const z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
  const logQ = Math.log(q);
  const log1mq = Math.log1p(-q);
  const logHalf = Math.log(0.5);
  const tailScale = Math.SQRT2 * sigma;
  let lastS0 = Number.NEGATIVE_INFINITY;
  let lastS1 = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < MAX_FRACTIONAL_TERMS; i++) {
    const logCoefficient = logBinomial(alpha, i);
    const j = alpha - i;
    const logT0 = logCoefficient + i * logQ + j * log1mq;
    const logT1 = logCoefficient + j * logQ + i * log1mq;
    const logE0 = logHalf + logErfc((i - z0) / tailScale);
    const logE1 = logHalf + logErfc((z0 - j) / tailScale);
    const logS0 = logT0 + (i * i - i) / (2 * sigma * sigma) + logE0;
    const logS1 = logT1 + (j * j - j) / (2 * sigma * sigma) + logE1;
    logA0 = logAdd(logA0, logS0);
    logA1 = logAdd(logA1, logS1);
    const total = logAdd(logA0, logA1);
    if (logS0 < lastS0 && logS1 < lastS1 && Math.max(logS0, logS1) < total - 30) return total;
    lastS0 = logS0;
    lastS1 = logS1;
  }
  return Number.POSITIVE_INFINITY;
}

/** log A_α, the moment whose log over (α - 1) is the RDP at order α, for 0 < q < 1. */
export function logA(q: number, sigma: number, alpha: number): number {
  return Number.isInteger(alpha) ? logAInteger(q, sigma, alpha) : logAFractional(q, sigma, alpha);
}

/**
 * RDP at each order of one step of the Poisson-subsampled Gaussian mechanism with sampling rate
 * `q` and noise multiplier `z` (noise standard deviation over L2 sensitivity).
 */
export function subsampledGaussianRdp(q: number, z: number, orders: readonly number[]): Float64Array {
  if (!(q >= 0 && q <= 1)) throw new RangeError(`sampling rate must be in [0, 1], got ${q}`);
  if (!(z >= 0)) throw new RangeError(`noise multiplier must be non-negative, got ${z}`);
  const rdp = new Float64Array(orders.length);
  orders.forEach((alpha, index) => {
    if (q === 0) rdp[index] = 0;
    else if (alpha === Number.POSITIVE_INFINITY || z === 0) rdp[index] = Number.POSITIVE_INFINITY;
    else if (q === 1) rdp[index] = alpha / (2 * z * z);
    else rdp[index] = logA(q, z, alpha) / (alpha - 1);
  });
  return rdp;
}
