// The reference backward pass against central finite differences of the reference loss, in
// float64, tensor by tensor.
import { describe, expect, it } from "vitest";
import { initialParameters, parameterLayout, tensorView } from "../../../../core/mlp/layout.ts";
import { maskedLoss, referenceForward, referenceGradients } from "../../../../core/mlp/reference.ts";
import { seededRandom } from "../../../../core/random.ts";
import { syntheticBatch } from "./fixtures.ts";

const shape = { dimension: 5, hidden: 7, modelCount: 3 };
const layout = parameterLayout(shape);

function lossAt(params: Float64Array, batch: ReturnType<typeof syntheticBatch>): number {
  return maskedLoss(referenceForward(layout, params, batch.features, batch.rows, batch), batch).loss;
}

function perturbed(random: () => number): Float64Array {
  // Non-trivial LayerNorm parameters so their gradients are exercised away from ones/zeros.
  const params = Float64Array.from(initialParameters(layout, random));
  for (let i = 0; i < params.length; i++) params[i] = params[i]! + 0.2 * (random() - 0.5);
  return params;
}

describe("reference gradients", () => {
  for (const [label, unseen] of [
    ["every model observed", undefined],
    ["model 1 never observed in the batch", [1]],
  ] as const) {
    it(`match central finite differences for every parameter tensor (${label})`, () => {
      const random = seededRandom(11);
      const params = perturbed(random);
      const batch = syntheticBatch(random, shape, 6, unseen ? [...unseen] : undefined);
      const { gradient } = referenceGradients(layout, params, batch);
      const h = 1e-6;
      for (const slot of layout.slots) {
        let difference = 0;
        let magnitude = 0;
        for (let i = slot.offset; i < slot.offset + slot.length; i++) {
          const saved = params[i]!;
          params[i] = saved + h;
          const up = lossAt(params, batch);
          params[i] = saved - h;
          const down = lossAt(params, batch);
          params[i] = saved;
          const numeric = (up - down) / (2 * h);
          difference += (numeric - gradient[i]!) ** 2;
          magnitude += numeric ** 2;
        }
        expect(magnitude, `${slot.name} has a non-zero gradient`).toBeGreaterThan(0);
        expect(Math.sqrt(difference / magnitude), slot.name).toBeLessThan(1e-3);
      }
      if (unseen) {
        // A model nobody evaluated in the batch: its heads get exactly no gradient.
        const row = (name: "quality.weight" | "cost.weight") =>
          tensorView(layout, gradient, name).subarray(shape.hidden, 2 * shape.hidden);
        expect([...row("quality.weight"), ...row("cost.weight")].every((g) => g === 0)).toBe(true);
      }
    });
  }

  it("gives zero gradient and zero loss for a batch without observed cells", () => {
    const random = seededRandom(3);
    const params = perturbed(random);
    const batch = syntheticBatch(random, shape, 4, [0, 1, 2]);
    const { loss, gradient } = referenceGradients(layout, params, batch);
    expect(loss).toBe(0);
    expect(gradient.every((g) => g === 0)).toBe(true);
  });
});
