// The MLP router's footprint: its parameters (twice while clients join: the frozen teacher beside
// them; twice while training validates: the best weights beside them) bound its tensors, and a training round's deltas its contributions.
import type { Footprint } from "../routers/kind.ts";
import { CALIBRATION_SUMS_PER_MODEL } from "./calibration.ts";
import type { MlpConfig } from "./config.ts";
import { COST_SUMS_PER_MODEL } from "./cost-normalisation.ts";
import { parameterLayout } from "./layout.ts";
import { type MlpState, mlpShape } from "./state.ts";

export function mlpFootprint(config: MlpConfig, state?: MlpState): Footprint {
  const parameters = parameterLayout(mlpShape(config)).size;
  const m = config.models.length;
  const teacher = state?.growth?.kind === "join" ? parameters : 0;
  // While training validates, the best weights so far ride beside the current ones.
  const best = config.validationShare > 0 ? parameters : 0;
  const growing = state?.phase === "new-model-stats" || state?.phase === "new-model-heads";
  const added = growing && state.growth?.kind === "new-models" ? m - state.growth.firstAdded : 0;
  return {
    // Parameters as float32; per model, cost mu, sigma and count as float64.
    tensorBytes: 4 * (parameters + teacher + best) + 8 * 3 * m,
    contributionLength: growing
      ? // The new models' statistics, then head-only rounds: [n, counts, the added heads' deltas].
        Math.max((COST_SUMS_PER_MODEL + 1) * added, 1 + added + 2 * added * (config.hidden + 1))
      : // Statistics, calibration, and training rounds: [n, counts per model, every parameter's delta].
        Math.max((COST_SUMS_PER_MODEL + 1) * m, CALIBRATION_SUMS_PER_MODEL * m, 1 + m + parameters),
  };
}
