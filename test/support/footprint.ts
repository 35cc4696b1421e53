// Trains a router kind in memory from a state until it is final, checking before every pass that
// the kind's footprint bounds the model file's tensors and the pass's contribution.
import { expect } from "vitest";
import type { EvaluationSet } from "../../core/data/evaluations.ts";
import { sumContributions } from "../../core/federated.ts";
import type { ModelFile } from "../../core/model-file.ts";
import { seededRandom } from "../../core/random.ts";
import type { Footprint, LocalCompute, RouterKind } from "../../core/routers/kind.ts";

function tensorBytes(file: ModelFile): number {
  return Object.values(file.tensors).reduce((sum, tensor) => sum + tensor.byteLength, 0);
}

/** The final state, and the largest tensors and contribution the passes reached. */
export async function trainWithinFootprint<State>(
  kind: RouterKind<State>,
  footprint: Footprint,
  start: State,
  sets: readonly EvaluationSet[],
  compute?: LocalCompute,
): Promise<{ state: State; largest: Footprint }> {
  const algorithm = kind.algorithm(compute);
  const random = seededRandom(5);
  const largest: Footprint = { tensorBytes: 0, contributionLength: 0 };
  let state = start;
  for (let pass = 0; ; pass++) {
    largest.tensorBytes = Math.max(largest.tensorBytes, tensorBytes(algorithm.toModelFile(state)));
    if (algorithm.done(state)) break;
    if (pass > 100) throw new Error("training did not finish in 100 passes");
    const length = algorithm.contributionLength(state);
    largest.contributionLength = Math.max(largest.contributionLength, length);
    const contributions = await Promise.all(sets.map((set) => algorithm.contribute(state, set, random)));
    state = algorithm.finalise(state, sumContributions(contributions, length));
  }
  expect(largest.tensorBytes).toBeLessThanOrEqual(footprint.tensorBytes);
  expect(largest.contributionLength).toBeLessThanOrEqual(footprint.contributionLength);
  return { state, largest };
}
