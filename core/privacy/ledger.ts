// The privacy ledger of one federation: every noised release (one secure-aggregation round) it has
// published, and the (epsilon, delta) they add up to under the RDP accountant. The edge keeps one
// and refuses a round that would take the cumulative epsilon past the federation's budget.
import { epsilonFromRdp, type PrivacyGuarantee } from "./conversion.ts";
import {
  type DistributedDiscreteGaussian,
  distributedDiscreteGaussianRdp,
} from "./distributed-discrete-gaussian.ts";
import { DEFAULT_RDP_ORDERS } from "./orders.ts";

/** One published noised sum, as accounted: `clients` are the survivors whose shares are in it. */
export interface NoisedRelease extends DistributedDiscreteGaussian {
  /** Probability that a given organisation was invited to the round (1 when all are). */
  readonly samplingRate: number;
  /** Identical releases in one go (a pass of K-means sums several vectors per round). */
  readonly count?: number;
}

/** A federation's budget, fixed at creation. */
export interface PrivacyBudget {
  readonly epsilon: number;
  readonly delta: number;
}

/** Total RDP over the integer orders the accountant evaluates. */
export function ledgerRdp(releases: readonly NoisedRelease[]): { orders: number[]; rdp: Float64Array } {
  const orders = [...new Set(DEFAULT_RDP_ORDERS.map((alpha) => Math.max(2, Math.floor(alpha))))];
  const rdp = new Float64Array(orders.length);
  for (const release of releases) {
    const step = distributedDiscreteGaussianRdp(release, release.samplingRate, release.count ?? 1, orders);
    for (let i = 0; i < rdp.length; i++) rdp[i]! += step.rdp[i]!;
  }
  return { orders, rdp };
}

/** The (epsilon, delta) spent by the releases, at the budget's delta. */
export function spent(releases: readonly NoisedRelease[], delta: number): PrivacyGuarantee {
  if (releases.length === 0) return { epsilon: 0, delta, order: 0 };
  const { orders, rdp } = ledgerRdp(releases);
  return epsilonFromRdp(orders, rdp, delta);
}

/** Whether one more release keeps the federation within its budget, and what it would spend. */
export function affordable(
  releases: readonly NoisedRelease[],
  next: NoisedRelease,
  budget: PrivacyBudget,
): { ok: boolean; after: PrivacyGuarantee } {
  const after = spent([...releases, next], budget.delta);
  return { ok: after.epsilon <= budget.epsilon, after };
}
