// Early stopping on a federated validation signal. Every client holds out a fixed share of its rows
// (chosen by a hash of each row's features, so the same rows every round without any state on the
// device) and never trains on them; after each round a validation pass, which every client joins,
// sums the held-out cells' loss at the new global weights and their count, through the same secure
// sums as the rest. The server keeps the weights with the lowest mean validation loss and stops when
// `patience` rounds have not lowered it: the rounds a federation needs are measured, not guessed.
import { fmix32 } from "../random.ts";
import { allocateBatch, fillBatch } from "./batch.ts";
import { parameterLayout } from "./layout.ts";
import { maskedLoss, referenceForward } from "./reference.ts";
import { type MlpState, mlpShape, type ValidationRecord } from "./state.ts";
import type { MlpTrainingSet } from "./training-set.ts";

/** A validation pass's contribution: [summed loss over held-out cells, held-out cells]. */
export const VALIDATION_SUMS = 2;

/** Whether row `q` of `set` is held out for validation at `share` (a hash of its features). */
function heldOut(set: MlpTrainingSet, q: number, share: number): boolean {
  let hash = 0x9e3779b9;
  const bytes = new Uint32Array(
    set.features.buffer,
    set.features.byteOffset + q * set.dimension * 4,
    set.dimension,
  );
  for (const word of bytes) hash = fmix32(hash ^ word);
  return hash / 2 ** 32 < share;
}

/** The rows of `set` a client trains on (`validation` false) or validates on (true). */
export function validationSplit(set: MlpTrainingSet, share: number, validation: boolean): MlpTrainingSet {
  if (!(share > 0))
    return validation
      ? {
          ...set,
          n: 0,
          features: new Float32Array(0),
          quality: new Float32Array(0),
          cost: new Float32Array(0),
          observed: new Uint8Array(0),
          ...(set.weight ? { weight: new Float32Array(0) } : {}),
        }
      : set;
  const rows: number[] = [];
  for (let q = 0; q < set.n; q++) if (heldOut(set, q, share) === validation) rows.push(q);
  if (rows.length === set.n) return set;
  const { dimension: d, modelCount: m } = set;
  const pick = <T extends Float32Array | Uint8Array>(values: T, width: number, make: (n: number) => T): T => {
    const out = make(rows.length * width);
    for (const [i, q] of rows.entries()) out.set(values.subarray(q * width, (q + 1) * width), i * width);
    return out;
  };
  return {
    ...set,
    n: rows.length,
    features: pick(set.features, d, (n) => new Float32Array(n)),
    quality: pick(set.quality, m, (n) => new Float32Array(n)),
    cost: pick(set.cost, m, (n) => new Float32Array(n)),
    observed: pick(set.observed, m, (n) => new Uint8Array(n)),
    ...(set.weight ? { weight: pick(set.weight, m, (n) => new Float32Array(n)) } : {}),
  };
}

/** One client's validation sums at the state's weights: its held-out cells' summed loss and count. */
export function validationSums(state: MlpState, set: MlpTrainingSet): Float64Array {
  const sums = new Float64Array(VALIDATION_SUMS);
  const held = validationSplit(set, state.config.validationShare, true);
  if (held.n === 0 || !state.costStats) return sums;
  const shape = mlpShape(state.config);
  const layout = parameterLayout(shape);
  const batch = allocateBatch(shape, held.n);
  const rows = Int32Array.from({ length: held.n }, (_, q) => q);
  // No dropout at validation: the masks are not read.
  fillBatch(batch, held, rows, state.costStats, 0, () => 0.5);
  const cache = referenceForward(layout, Float64Array.from(state.params), batch.features, held.n, null);
  let cells = 0;
  for (const o of batch.observed) cells += o;
  sums[0] = maskedLoss(cache, batch).loss * cells;
  sums[1] = cells;
  return sums;
}

/**
 * The state after a validation pass's total: the record updated and, when `patience` passes have
 * not improved on the best or the rounds are used up, training ends on the best weights.
 */
export function finaliseValidation(
  state: MlpState,
  total: Float64Array,
  afterTraining: MlpState["phase"],
): MlpState {
  const cells = total[1]!;
  const outOfRounds = state.round >= state.config.rounds;
  // No client held out a judged cell: no signal, so the rounds run out as without validation.
  if (!(cells > 0)) return { ...state, phase: outOfRounds ? afterTraining : "train" };
  const loss = total[0]! / cells;
  const previous = state.validation;
  const improved = !previous || loss < previous.bestLoss;
  const validation: ValidationRecord = improved
    ? { bestLoss: loss, bestParams: state.params.slice(), sinceBest: 0 }
    : { ...previous, sinceBest: previous.sinceBest + 1 };
  const stop = validation.sinceBest >= state.config.patience || outOfRounds;
  if (!stop) return { ...state, phase: "train", validation };
  // The record has served: a trained router's file carries one set of weights.
  const { validation: _done, ...trained } = state;
  return { ...trained, phase: afterTraining, params: validation.bestParams.slice() };
}
