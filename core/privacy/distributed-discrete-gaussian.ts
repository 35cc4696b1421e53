// RDP of the distributed discrete Gaussian (Kairouz, Liu and Steinke 2021, "The Distributed
// Discrete Gaussian Mechanism for Federated Learning with Secure Aggregation"): each of n clients
// adds discrete Gaussian noise of variance σ² (in fixed-point units) to its integer vector, and
// secure aggregation reveals only the sum. The sum of n discrete Gaussians is not exactly a
// discrete Gaussian; Theorem 1 / Proposition 14 bound how far it is through τ below, and we use
// that bound as it stands (no continuous-Gaussian shortcut). Subsampling goes through Zhu and
// Wang 2019's general bound for integer orders (Theorem 6 there), as the paper's code does, so the
// accountant never treats the sum as if it were a continuous Gaussian.
import { logBinomial, logSumExp } from "./log-math.ts";

/** What the accountant needs to know about one noised sum. */
export interface DistributedDiscreteGaussian {
  /** L2 sensitivity of the sum in fixed-point units (one client's clipped, rounded vector). */
  readonly l2Sensitivity: number;
  /** L1 sensitivity in fixed-point units; √d times the L2 one when unknown. */
  readonly l1Sensitivity?: number;
  /** Standard deviation of each client's noise share, in fixed-point units. */
  readonly localStddev: number;
  /** Clients whose noise shares are in the sum (the survivors of the round). */
  readonly clients: number;
  /** Length of the vector. */
  readonly dimension: number;
}

/** τ = 10 Σ_{k=1}^{n-1} exp(-2π²σ² k/(k+1)): how far the sum of n shares is from one discrete Gaussian. */
export function sumInflation(localStddev: number, clients: number): number {
  let tau = 0;
  for (let k = 1; k < clients; k++) {
    tau += Math.exp(-2 * (Math.PI * localStddev) ** 2 * (k / (k + 1)));
  }
  return 10 * tau;
}

/** RDP at integer order α of one unsubsampled release (Proposition 14: the least of three bounds). */
export function distributedDiscreteGaussianRdpAt(
  mechanism: DistributedDiscreteGaussian,
  alpha: number,
): number {
  const { l2Sensitivity, localStddev, clients, dimension } = mechanism;
  if (clients < 1) throw new RangeError("a noised sum needs at least one client");
  if (!(localStddev > 0)) return Number.POSITIVE_INFINITY;
  const l1Sensitivity = mechanism.l1Sensitivity ?? l2Sensitivity * Math.sqrt(dimension);
  const tau = sumInflation(localStddev, clients);
  const centralStddev = Math.sqrt(clients) * localStddev;
  const l2Scale = l2Sensitivity / centralStddev;
  const l1Scale = l1Sensitivity / centralStddev;
  const first = (alpha / 2) * l2Scale ** 2 + tau * dimension;
  const second = (alpha / 2) * (l2Scale ** 2 + 2 * l1Scale * tau + tau ** 2 * dimension);
  const third = (alpha / 2) * (l2Scale + Math.sqrt(dimension) * tau) ** 2;
  return Math.min(first, second, third);
}

/**
 * Zhu and Wang 2019, Theorem 6: RDP at integer order α ≥ 2 of any mechanism with RDP curve
 * `rdpAt` run on a Poisson subsample of rate q.
 */
export function poissonSubsampledRdpAt(alpha: number, q: number, rdpAt: (order: number) => number): number {
  if (!Number.isInteger(alpha) || alpha < 2) throw new RangeError(`integer order ≥ 2 expected, got ${alpha}`);
  if (q === 1) return rdpAt(alpha);
  if (q === 0) return 0;
  const log1mq = Math.log1p(-q);
  const logQ = Math.log(q);
  const terms = [
    Math.log((1 - q) ** (alpha - 1) * (alpha * q - q + 1)),
    rdpAt(2) + logBinomial(alpha, 2) + 2 * logQ + (alpha - 2) * log1mq,
  ];
  const weights = [1, 1];
  for (let l = 3; l <= alpha; l++) {
    terms.push((l - 1) * rdpAt(l) + logBinomial(alpha, l) + (alpha - l) * log1mq + l * logQ);
    weights.push(3);
  }
  return logSumExp(terms, weights) / (alpha - 1);
}

/**
 * RDP of `steps` rounds, each a Poisson subsample of rate q noised by the distributed discrete
 * Gaussian. The bounds hold at integer orders, so each order is rounded down (at least 2) and the
 * orders returned are those integers: convert with them, not with the orders passed in.
 */
export function distributedDiscreteGaussianRdp(
  mechanism: DistributedDiscreteGaussian,
  q: number,
  steps: number,
  orders: readonly number[],
): { orders: number[]; rdp: Float64Array } {
  const integerOrders = [...new Set(orders.map((alpha) => Math.max(2, Math.floor(alpha))))];
  const cache = new Map<number, number>();
  const rdpAt = (alpha: number): number => {
    let value = cache.get(alpha);
    if (value === undefined) {
      value = distributedDiscreteGaussianRdpAt(mechanism, alpha);
      cache.set(alpha, value);
    }
    return value;
  };
  const rdp = new Float64Array(integerOrders.length);
  integerOrders.forEach((alpha, index) => {
    const subsampled =
      q === 1 ? rdpAt(alpha) : Math.min(poissonSubsampledRdpAt(alpha, q, rdpAt), rdpAt(alpha));
    rdp[index] = subsampled * steps;
  });
  return { orders: integerOrders, rdp };
}
