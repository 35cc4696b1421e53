// The noise a federation needs: the smallest noise multiplier whose planned rounds, accounted with
// the distributed discrete Gaussian, stay within a target (epsilon, delta).
import { type NoisedRelease, spent } from "./ledger.ts";

/** A plan of `rounds` identical releases, less the noise. */
export interface ReleasePlan extends Omit<NoisedRelease, "localStddev"> {
  readonly rounds: number;
}

/** epsilon of the plan when the central noise is z times the L2 sensitivity. */
export function planEpsilon(plan: ReleasePlan, noiseMultiplier: number, delta: number): number {
  const localStddev = (noiseMultiplier * plan.l2Sensitivity) / Math.sqrt(plan.clients);
  const release: NoisedRelease = { ...plan, localStddev, count: (plan.count ?? 1) * plan.rounds };
  return spent([release], delta).epsilon;
}

/** The smallest noise multiplier (to 0.1%) meeting the target, by bisection on log z. */
export function noiseMultiplierFor(plan: ReleasePlan, epsilon: number, delta: number): number {
  let low = 1e-3;
  let high = 1;
  while (planEpsilon(plan, high, delta) > epsilon) {
    high *= 2;
    if (high > 1e7) throw new RangeError(`no noise meets epsilon ${epsilon} at delta ${delta}`);
  }
  while (high / low > 1.001) {
    const middle = Math.sqrt(low * high);
    if (planEpsilon(plan, middle, delta) > epsilon) low = middle;
    else high = middle;
  }
  return high;
}
