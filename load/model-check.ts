// Does the published model equal an in-memory simulation of the survivors' data? Pass by pass:
// each version the edge published against finalise(previous version, plain sum of the survivors'
// contributions), each contribution computed as the SDK computes it (same training set, same
// random stream, same local compute). Secure aggregation's fixed point moves each element of
// the sum by at most quantisationBound(survivors, scale); the published numbers may then move by
// at most the sum over elements of how far finalise carries a move of that size, which is
// measured here by moving each element in turn (twice that, plus float32 storage, is allowed).
// The chain of passes is the whole training, so every pass within bound means the final model
// is the simulation's.
import type { Evaluation } from "../client-sdk/src/index.ts";
import { buildTrainingSet } from "../client-sdk/src/round/training-set.ts";
import type { EvaluationSet } from "../core/data/evaluations.ts";
import type { Embedder } from "../core/embedder/embedder.ts";
import { roundSchedule, sumContributions } from "../core/federated.ts";
import type { KMeansState } from "../core/kmeans/state.ts";
import type { MlpState } from "../core/mlp/state.ts";
import { type ModelFile, tagsOf } from "../core/model-file.ts";
import type { LocalCompute } from "../core/routers/kind.ts";
import { routerKind } from "../core/routers/registry.ts";
import { quantisationBound } from "../core/secagg/index.ts";

export interface PublishedPass {
  round: number;
  /** The version the round trained against, and the one it published. */
  from: number;
  to: number;
  /** Client indices whose masked input the edge accepted: the sum is theirs. */
  survivors: readonly number[];
  /** The round's fixed-point scale. */
  scale: number;
}

export interface PassCheck {
  round: number;
  /** Largest |published - simulated| over the model's numbers, and the largest allowed. */
  worst: number;
  tolerance: number;
  matches: boolean;
  /** Why it does not match, beyond the numbers (a different phase or shape). */
  reason?: string;
}

/** The numbers a pass computes, by router kind (what the model file carries of the state). */
function numbersOf(kind: string, state: unknown): ArrayLike<number>[] {
  if (kind === "kmeans") {
    const s = state as KMeansState;
    return [s.centroids, s.stats ?? [], s.directions ?? []];
  }
  if (kind === "mlp") {
    const s = state as MlpState;
    return [s.params, s.costStats?.mu ?? [], s.costStats?.sigma ?? []];
  }
  throw new RangeError(`no model check for router kind ${kind}`);
}

/** The phase and sizes that must agree exactly. */
function shapeOf(state: unknown): string {
  const { phase, size, round } = state as { phase?: string; size?: number; round?: number };
  return JSON.stringify({ phase, size, round });
}

function flatten(parts: ArrayLike<number>[]): Float64Array {
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) for (let i = 0; i < part.length; i++) out[at++] = part[i]!;
  return out;
}

/** Totals up to this long are perturbed one element at a time; longer ones in GROUPS groups. */
const ONE_AT_A_TIME = 50_000;
const GROUPS = 64;

export interface CheckInput {
  kind: string;
  passes: readonly PublishedPass[];
  files: ReadonlyMap<number, ModelFile>;
  evaluations: readonly (readonly Evaluation[])[];
  embedder: Embedder;
  seed: number;
  /** Local training as the SDK's clients run it (the MLP's onnxruntime). */
  compute: LocalCompute;
}

export async function checkAgainstSimulation(input: CheckInput): Promise<PassCheck[]> {
  const algorithm = routerKind(input.kind).algorithm(input.compute);
  const schedule = roundSchedule(input.seed);
  const sets = new Map<number, EvaluationSet>();
  const setOf = async (client: number, file: ModelFile) => {
    let set = sets.get(client);
    if (!set) {
      const built = await buildTrainingSet(
        input.evaluations[client]!,
        file.models,
        file.embedder,
        input.embedder,
        tagsOf(file),
      );
      set = built.set;
      sets.set(client, set);
    }
    return set;
  };
  const checks: PassCheck[] = [];
  for (const pass of input.passes) {
    const before = input.files.get(pass.from);
    const after = input.files.get(pass.to);
    if (!before || !after) {
      checks.push({
        round: pass.round,
        worst: Number.NaN,
        tolerance: 0,
        matches: false,
        reason: "version missing",
      });
      continue;
    }
    const global = algorithm.fromModelFile(before);
    const contributions: Float64Array[] = [];
    for (const client of pass.survivors)
      contributions.push(
        await algorithm.contribute(
          global,
          await setOf(client, before),
          schedule.randomFor(pass.round, client),
        ),
      );
    const total = sumContributions(contributions, algorithm.contributionLength(global));
    const next = algorithm.finalise(global, total);
    const expected = flatten(numbersOf(input.kind, next));
    const published = algorithm.fromModelFile(after);
    const got = flatten(numbersOf(input.kind, published));
    if (shapeOf(next) !== shapeOf(published) || got.length !== expected.length) {
      const reason = `simulated ${shapeOf(next)} (${expected.length} numbers), published ${shapeOf(published)} (${got.length})`;
      checks.push({ round: pass.round, worst: Number.NaN, tolerance: 0, matches: false, reason });
      continue;
    }
    const bound = quantisationBound(contributions.length, pass.scale);
    const reach = new Float64Array(expected.length);
    const shifted = Float64Array.from(total);
    const change = new Float64Array(expected.length);
    // One element at a time costs a finalise per element: quadratic, out of reach for an MLP's
    // half a million. Above ONE_AT_A_TIME elements, interleaved groups move together (elements
    // i = r mod GROUPS): the same reach whenever an output depends on at most one element of
    // each group, as the MLP's do (its own sum and the shared weight), an estimate otherwise.
    const groups = total.length <= ONE_AT_A_TIME ? total.length : GROUPS;
    for (let r = 0; r < groups; r++) {
      change.fill(0);
      for (const sign of [1, -1]) {
        for (let i = r; i < total.length; i += groups) shifted[i] = total[i]! + sign * bound;
        const moved = flatten(numbersOf(input.kind, algorithm.finalise(global, shifted)));
        for (let k = 0; k < moved.length; k++)
          change[k] = Math.max(change[k]!, Math.abs(moved[k]! - expected[k]!));
      }
      for (let i = r; i < total.length; i += groups) shifted[i] = total[i]!;
      for (let k = 0; k < change.length; k++) reach[k]! += change[k]!;
    }
    let worst = 0;
    let tolerance = 0;
    let matches = true;
    for (let k = 0; k < expected.length; k++) {
      const allowed = 2 * reach[k]! + 2 ** -22 * Math.max(1, Math.abs(expected[k]!));
      const difference = Math.abs(got[k]! - expected[k]!);
      if (!(difference <= allowed)) matches = false;
      worst = Math.max(worst, difference);
      tolerance = Math.max(tolerance, allowed);
    }
    checks.push({ round: pass.round, worst, tolerance, matches });
  }
  return checks;
}
