// A federation's budget at the edge. Each round's release is charged at its worst case: only the
// secure-aggregation threshold of clients survive, so the noise is the least the round allows
// (clients size their shares for that many, noise-share.ts). With every round charged alike, what
// the versions behind a model have spent follows from how many rounds ran: no ledger to store.
import type { PrivacySpec, PrivacySpent } from "../wire/privacy.ts";
import { type NoisedRelease, spent } from "./ledger.ts";

/** The release one round is charged as. `scale` is the encoding's fixed-point steps per unit. */
export function worstCaseRelease(
  spec: PrivacySpec,
  threshold: number,
  scale: number,
  dimension: number,
  rounds = 1,
): NoisedRelease {
  // Stochastic rounding can lengthen a vector by up to √d steps (Kairouz, Liu and Steinke 2021).
  const l2Sensitivity = spec.clipNorm * scale + Math.sqrt(dimension);
  return {
    l2Sensitivity,
    localStddev: (spec.noiseMultiplier * l2Sensitivity) / Math.sqrt(threshold),
    clients: threshold,
    dimension,
    samplingRate: 1,
    count: rounds,
  };
}

/** What `rounds` rounds have spent of the budget. */
export function spentAfter(
  spec: PrivacySpec,
  rounds: number,
  threshold: number,
  scale: number,
  dimension: number,
): PrivacySpent {
  if (rounds === 0) return { epsilon: 0, delta: spec.delta, rounds };
  const guarantee = spent([worstCaseRelease(spec, threshold, scale, dimension, rounds)], spec.delta);
  return { epsilon: guarantee.epsilon, delta: spec.delta, rounds };
}

/** Why round `roundsRun + 1` may not open (for people), or undefined when the budget covers it. */
export function budgetRefusal(
  spec: PrivacySpec,
  roundsRun: number,
  threshold: number,
  scale: number,
  dimension: number,
): string | undefined {
  const after = spentAfter(spec, roundsRun + 1, threshold, scale, dimension);
  if (after.epsilon <= spec.epsilon) return undefined;
  const before = spentAfter(spec, roundsRun, threshold, scale, dimension);
  return `the privacy budget (epsilon ${spec.epsilon}, delta ${spec.delta}) is spent: ${roundsRun} rounds used epsilon ${before.epsilon.toFixed(3)}, one more would reach ${after.epsilon.toFixed(3)}`;
}
