// Which decoded totals a pass of the federated MLP accepts before the edge finalises them: what the
// sums of honest clients satisfy. Counts of rows and cells are whole; a client observes a model on
// at most its n rows; log1p(cost) is at least 0 and each scaled cost sum is capped at 1 per client
// (cost-normalisation.ts); qualities and predicted qualities lie in [0, 1]; and each client's delta
// is at most deltaClip long, so a weighted sum of deltas is at most its weights times deltaClip.
import type { TotalContext } from "../routers/kind.ts";
import { checkBetween, checkCount, checkFinite, checkNorm, sliceNorm } from "../routers/total-checks.ts";
import { CALIBRATION_SUMS_PER_MODEL } from "./calibration.ts";
import { COST_SUMS_PER_MODEL } from "./cost-normalisation.ts";
import { newModelsGrowth } from "./growth.ts";
import { headRanges, parameterLayout } from "./layout.ts";
import { type MlpState, mlpShape } from "./state.ts";

const NO_LIMIT = Number.POSITIVE_INFINITY;

/**
 * A cost-sums block of `m` models (count, then per scale the sums of y and y^2), optionally
 * followed by quality sums; each scaled sum beyond scale 1 is at most 1 per client.
 */
function checkStatistics(
  total: Float64Array,
  m: number,
  models: readonly string[],
  withQuality: boolean,
  context: TotalContext,
): string | undefined {
  for (let j = 0; j < m; j++) {
    const count = total[j]!;
    const counted = checkCount(count, `${models[j]}'s observed cells`, context);
    if (counted) return counted;
    for (let row = 1; row < COST_SUMS_PER_MODEL; row++) {
      const most = row < 3 ? NO_LIMIT : context.participants;
      const sum = checkBetween(total[row * m + j]!, 0, most, `${models[j]}'s cost sum ${row}`, context);
      if (sum) return sum;
    }
    if (!withQuality) continue;
    const quality = total[COST_SUMS_PER_MODEL * m + j]!;
    const most = count + context.resolution;
    const refusal = checkBetween(quality, 0, most, `${models[j]}'s quality sum`, context);
    if (refusal) return refusal;
  }
  return undefined;
}

/**
 * Calibration sums: residuals in [-cells, cells], slopes q(1 - q) in [0, cells / 4]. The cells are
 * weighted (calibration.ts), so their sum need only be non-negative, not whole.
 */
function checkCalibration(total: Float64Array, models: readonly string[], context: TotalContext) {
  const m = models.length;
  if (total.length !== CALIBRATION_SUMS_PER_MODEL * m)
    return `calibration totals hold ${total.length} values`;
  for (const [j, model] of models.entries()) {
    const cells = total[2 * m + j]!;
    const most = cells + context.resolution;
    const refusal =
      checkBetween(cells, 0, NO_LIMIT, `${model}'s calibration cells`, context) ??
      checkBetween(total[j]!, -most, most, `${model}'s residual sum`, context) ??
      checkBetween(total[m + j]!, 0, most / 4, `${model}'s slope sum`, context);
    if (refusal) return refusal;
  }
  return undefined;
}

/** The header [n, cells of each model]: whole counts, each model's cells at most n. */
function checkHeader(total: Float64Array, models: readonly string[], context: TotalContext) {
  const n = total[0]!;
  const counted = checkCount(n, "the rows trained on", context);
  if (counted) return counted;
  for (const [a, model] of models.entries()) {
    const cells = total[1 + a]!;
    const refusal =
      checkCount(cells, `${model}'s observed cells`, context) ??
      checkBetween(cells, 0, n + context.resolution, `${model}'s observed cells`, context);
    if (refusal) return refusal;
  }
  return undefined;
}

/** Squared norms of the weighted deltas of a training round, by averaging weight: trunk, then each head. */
function groupNorms(state: MlpState, deltas: Float64Array, perHead: boolean): Float64Array {
  const layout = parameterLayout(mlpShape(state.config));
  const m = layout.shape.modelCount;
  const group = new Uint16Array(layout.size);
  if (perHead)
    for (let j = 0; j < m; j++)
      for (const { start, end } of headRanges(layout, j)) group.fill(1 + j, start, end);
  const squares = new Float64Array(1 + m);
  for (let i = 0; i < deltas.length; i++) squares[group[i]!]! += deltas[i]! ** 2;
  return squares.map(Math.sqrt);
}

/** A training (or joining) round: [n, cells (M), deltas weighted by n, or per head by its cells]. */
function checkTraining(state: MlpState, total: Float64Array, context: TotalContext) {
  const { models, deltaClip } = state.config;
  const m = models.length;
  const header = checkHeader(total, models, context);
  if (header) return header;
  const perHead = state.phase !== "join" && state.config.weighting === "per-head";
  const deltas = total.subarray(1 + m);
  const norms = groupNorms(state, deltas, perHead);
  const size = deltas.length;
  const trunk = checkNorm(
    norms[0]!,
    size,
    (total[0]! + context.resolution) * deltaClip,
    "the weighted delta",
    context,
  );
  if (trunk) return trunk;
  for (let j = 0; perHead && j < m; j++) {
    const bound = (total[1 + j]! + context.resolution) * deltaClip;
    const head = checkNorm(norms[1 + j]!, size, bound, `${models[j]}'s weighted head delta`, context);
    if (head) return head;
  }
  return undefined;
}

/** A head-only round: [n, cells of each added model (A), each added head's delta weighted by its cells]. */
function checkNewHeads(state: MlpState, total: Float64Array, context: TotalContext) {
  const { firstAdded } = newModelsGrowth(state);
  const added = state.config.models.slice(firstAdded);
  const header = checkHeader(total, added, context);
  if (header) return header;
  const perModel = 2 * (state.config.hidden + 1);
  for (const [a, model] of added.entries()) {
    const norm = sliceNorm(total, 1 + added.length + a * perModel, perModel);
    const bound = (total[1 + a]! + context.resolution) * state.config.deltaClip;
    const refusal = checkNorm(norm, perModel, bound, `${model}'s weighted head delta`, context);
    if (refusal) return refusal;
  }
  return undefined;
}

/** A refusal when `total` cannot be the sum of honest contributions to `state`'s pass. */
export function checkMlpTotal(
  state: MlpState,
  total: Float64Array,
  context: TotalContext,
): string | undefined {
  const finite = checkFinite(total);
  if (finite) return finite;
  const { models, qualityPrior } = state.config;
  switch (state.phase) {
    case "stats":
      return checkStatistics(total, models.length, models, qualityPrior, context);
    case "new-model-stats": {
      const added = models.slice(newModelsGrowth(state).firstAdded);
      return checkStatistics(total, added.length, added, true, context);
    }
    case "calibrate":
      return checkCalibration(total, models, context);
    case "new-model-heads":
      return checkNewHeads(state, total, context);
    case "validate":
      // A held-out cell's loss is at least 0; above, the cost head's output bounds nothing.
      return (
        checkCount(total[1]!, "the held-out cells", context) ??
        checkBetween(total[0]!, 0, Number.POSITIVE_INFINITY, "the summed validation loss", context)
      );
    case "train":
    case "join":
      return checkTraining(state, total, context);
    default:
      return undefined;
  }
}
