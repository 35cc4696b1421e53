// The distillation term's gradient (added to the masked loss) against central finite
// differences, tensor by tensor, and what the term measures.
import { describe, expect, it } from "vitest";
import { allocateBatch, fillBatch } from "../../../../core/mlp/batch.ts";
import { distillationLoss } from "../../../../core/mlp/distillation.ts";
import { initialParameters, parameterLayout } from "../../../../core/mlp/layout.ts";
import { referenceForward, referenceGradients, trainingLoss } from "../../../../core/mlp/reference.ts";
import { teacherPredictions } from "../../../../core/mlp/teacher.ts";
import { seededRandom } from "../../../../core/random.ts";
import { statsOf, syntheticSet } from "./fixtures.ts";

const shape = { dimension: 5, hidden: 7, modelCount: 3 };
const layout = parameterLayout(shape);
const WEIGHT = 1;

/** The teacher's own forward pass over a batch (no dropout): a student equal to it. */
function teacherForward(batch: { features: Float32Array; rows: number }, teacherParams: Float32Array) {
  return referenceForward(layout, Float64Array.from(teacherParams), batch.features, batch.rows, null);
}

/** A batch of 6 real rows and 2 padding rows, with a teacher's targets for the real ones. */
function distillationBatch(seed: number) {
  const random = seededRandom(seed);
  const set = syntheticSet(random, { n: 6, dimension: shape.dimension, coverage: 0.5 });
  const teacherParams = initialParameters(layout, random);
  const teacher = teacherPredictions(shape, teacherParams, set);
  const batch = allocateBatch(shape, 8, true);
  fillBatch(batch, set, [0, 1, 2, 3, 4, 5], statsOf(set), 0.1, random, teacher);
  return { batch, random, set, teacherParams };
}

function perturbed(random: () => number): Float64Array {
  const params = Float64Array.from(initialParameters(layout, random));
  for (let i = 0; i < params.length; i++) params[i] = params[i]! + 0.2 * (random() - 0.5);
  return params;
}

describe("the distillation term", () => {
  it("has gradients matching central finite differences for every parameter tensor", () => {
    const { batch, random } = distillationBatch(17);
    const params = perturbed(random);
    const lossAt = (p: Float64Array) =>
      trainingLoss(referenceForward(layout, p, batch.features, batch.rows, batch), batch, WEIGHT).loss;
    const { gradient } = referenceGradients(layout, params, batch, WEIGHT);
    const withoutDistillation = referenceGradients(layout, params, batch, 0).gradient;
    const h = 1e-6;
    for (const slot of layout.slots) {
      let difference = 0;
      let magnitude = 0;
      let distilledPart = 0;
      for (let i = slot.offset; i < slot.offset + slot.length; i++) {
        const saved = params[i]!;
        params[i] = saved + h;
        const up = lossAt(params);
        params[i] = saved - h;
        const down = lossAt(params);
        params[i] = saved;
        const numeric = (up - down) / (2 * h);
        difference += (numeric - gradient[i]!) ** 2;
        magnitude += numeric ** 2;
        distilledPart += (gradient[i]! - withoutDistillation[i]!) ** 2;
      }
      expect(magnitude, `${slot.name} has a non-zero gradient`).toBeGreaterThan(0);
      // The term must contribute to every tensor, or the check would not be testing it.
      expect(distilledPart, `${slot.name}: distillation changes the gradient`).toBeGreaterThan(0);
      expect(Math.sqrt(difference / magnitude), slot.name).toBeLessThan(1e-3);
    }
  });

  it("is zero for a student equal to its teacher and ignores padding rows", () => {
    const { batch, teacherParams } = distillationBatch(4);
    const cache = teacherForward(batch, teacherParams);
    const { loss, dQualityLogit } = distillationLoss(cache, batch.teacher!, WEIGHT);
    expect(loss).toBeLessThan(1e-12);
    expect(dQualityLogit.every((g) => Math.abs(g) < 1e-9)).toBe(true);
    expect([...batch.teacher!.cells.subarray(6 * 3)].every((c) => c === 0)).toBe(true);
  });

  it("averages the squared quality and cost gaps over every real cell, times its weight", () => {
    const { batch, teacherParams } = distillationBatch(9);
    const cache = teacherForward(batch, teacherParams);
    // The student's quality equals the teacher's; every cost output is 0.5 above it.
    const shifted = { ...cache, costOutput: cache.costOutput.map((c) => c + 0.5) };
    const { loss } = distillationLoss(shifted, batch.teacher!, 2);
    // Each real cell adds 0.25 (up to the float32 rounding of the teacher's targets).
    expect(loss).toBeCloseTo(2 * 0.25, 5);
  });
});
