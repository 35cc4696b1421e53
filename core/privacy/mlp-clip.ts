// Client-level DP for the MLP router: each pass's contribution is scaled down to an L2 norm in
// public per-element units. Scaling the whole vector keeps the client's weighted average (its
// weight shrinks with its delta), as DP-FedAvg's clipped, weighted updates do; the delta itself is
// clipped first (deltaClip, delta-clip.ts).
//
// Units matter most in the statistics pass: a cheap model's summed log1p(cost) (about its price
// per query times its rows) is a ten-thousandth of its count, so noise sized for counts drowned it
// and every cost target was normalised by noise. Costs are noised in each model's price unit, as
// K-means does (kmeans-clip.ts), and the multi-scale copies the fixed-point encoding needs
// (cost-normalisation.ts) are not spent on: their noise is post-processed away (`mlpAfterNoise`).

import type { MlpConfig } from "../mlp/config.ts";
import { COST_SUM_SCALES, COST_SUMS_PER_MODEL } from "../mlp/cost-normalisation.ts";
import type { MlpState } from "../mlp/state.ts";
import type { ContributionClip } from "./private-algorithm.ts";

export interface MlpPrivacyOptions {
  /** L2 norm, in units, of one client's contribution to a pass. */
  readonly cap: number;
  /** Public price per query of each model (its list price), in the router's model order. */
  readonly costUnits: readonly number[];
}

/** Unit of a value no pass reads under DP: it takes next to nothing of the clip norm. */
const UNREAD = 1e9;
/**
 * Unit of a training round's row count. Its noise (z × cap × unit) is small against the sum of every
 * client's rows (tens of thousands at 1,000 clients) even at 10, where it takes a tenth of the clip
 * it took at 1: the clip goes to the weighted delta (rows × delta, about 80 for a 90-row client),
 * which carries the signal. At ε 8 (1,000 clients, every client in each round) the gap to the
 * non-private router was −0.009 on seed 1 with the count in units of 1 and cap 100, and is −0.003,
 * −0.003 and −0.005 on seeds 1-3 with units of 10 and cap 80 (3 noise draws each; docs/privacy.md).
 */
const ROW_COUNT_UNIT = 10;

export function mlpClip(state: MlpState, length: number, options: MlpPrivacyOptions): ContributionClip {
  const m = state.config.models.length;
  const units = new Float64Array(length).fill(1);
  if (state.phase === "stats") {
    // [count (M), per scale: Σ s·log1p(cost) (M), Σ s·log1p(cost)² (M)], then Σ quality (M).
    for (let j = 0; j < m; j++) {
      const price = options.costUnits[j] ?? 1;
      units[m + j] = price;
      units[2 * m + j] = price * price;
      for (let k = 1; k < COST_SUM_SCALES.length; k++) {
        units[(1 + 2 * k) * m + j] = UNREAD;
        units[(2 + 2 * k) * m + j] = UNREAD;
      }
    }
  } else if ((state.phase === "train" || state.phase === "join") && state.config.weighting === "fedavg") {
    // [n, observed cells per model (M), weighted delta]: averaged with FedAvg, only n weighs.
    units[0] = ROW_COUNT_UNIT;
    units.fill(UNREAD, 1, 1 + m);
  }
  return { norm: options.cap, units };
}

/**
 * A noised statistics total the cost normalisation can read: the scaled copies carried no budget,
 * so they are set out of the range it reads (≥ 1/2) and it falls back to the unscaled sums.
 */
export function mlpAfterNoise(state: MlpState, total: Float64Array): Float64Array {
  if (state.phase !== "stats") return total;
  const m = state.config.models.length;
  total.fill(1, 3 * m, COST_SUMS_PER_MODEL * m);
  return total;
}

/**
 * The passes an MLP training takes at most: cost statistics, its rounds (each validated when it
 * holds rows out), and the calibration pass when configured.
 */
export function mlpPlannedPasses(
  config: Pick<MlpConfig, "rounds" | "validationShare" | "calibrate">,
): number {
  return 1 + config.rounds * (config.validationShare > 0 ? 2 : 1) + (config.calibrate ? 1 : 0);
}
