// Client-level DP for the MLP router: each pass's contribution, [weight, per-model counts,
// weighted parameter delta] in training rounds, is scaled down to an L2 norm. Scaling the whole
// vector keeps the client's weighted average (its weight shrinks with its delta), as DP-FedAvg's
// clipped, weighted updates do; the delta itself is clipped first (deltaClip, delta-clip.ts).
import type { MlpConfig } from "../mlp/config.ts";
import type { ContributionClip } from "./private-algorithm.ts";

export function mlpClip(cap: number): ContributionClip {
  return { norm: cap };
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
