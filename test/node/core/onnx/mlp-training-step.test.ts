// The ONNX training-step graph against the TypeScript reference step (gradients, clipping and
// AdamW), on onnxruntime-web's WASM backend and on onnxruntime-node.
import { describe, expect, it } from "vitest";
import { ADAMW_DEFAULTS, type AdamWState, adamwStep } from "../../../../core/mlp/adamw.ts";
import type { MlpBatch } from "../../../../core/mlp/batch.ts";
import { initialParameters, parameterLayout } from "../../../../core/mlp/layout.ts";
import { referenceGradients } from "../../../../core/mlp/reference.ts";
import { STEP_INPUTS, STEP_OUTPUTS, trainingStepModel } from "../../../../core/onnx/mlp-training-step.ts";
import { seededRandom } from "../../../../core/random.ts";
import { loadOrtRuntime } from "../../../../ort/index.ts";
import { syntheticBatch } from "../mlp/fixtures.ts";

const shape = { dimension: 6, hidden: 8, modelCount: 3 };
const layout = parameterLayout(shape);
// A larger learning rate than the default so that differences in the update would show.
const optimizer = { ...ADAMW_DEFAULTS, learningRate: 0.01, maxGradNorm: 0.5 };

/** max |a - b| / max |b| over each parameter tensor. */
function worstRelativeError(actual: Float32Array, expected: Float64Array): { name: string; error: number } {
  let worst = { name: "", error: 0 };
  for (const slot of layout.slots) {
    let difference = 0;
    let magnitude = 0;
    for (let i = slot.offset; i < slot.offset + slot.length; i++) {
      difference = Math.max(difference, Math.abs(actual[i]! - expected[i]!));
      magnitude = Math.max(magnitude, Math.abs(expected[i]!));
    }
    const error = magnitude > 0 ? difference / magnitude : difference;
    if (error > worst.error) worst = { name: slot.name, error };
  }
  return worst;
}

function batches(): { label: string; batch: MlpBatch }[] {
  const random = seededRandom(5);
  return [
    { label: "all models observed", batch: syntheticBatch(random, shape, 9) },
    { label: "model 2 unobserved", batch: syntheticBatch(random, shape, 9, [2]) },
    { label: "models 0 and 1 unobserved", batch: syntheticBatch(random, shape, 9, [0, 1]) },
    { label: "all models observed again", batch: syntheticBatch(random, shape, 9) },
    { label: "no observed cell", batch: syntheticBatch(random, shape, 9, [0, 1, 2]) },
    { label: "inverse-propensity weighted cells", batch: weighted(syntheticBatch(random, shape, 9, [1])) },
  ];
}

/** The batch with its observed cells weighted 0.4, 1 and 3.5 in turn (as propensity weights make them). */
function weighted(batch: MlpBatch): MlpBatch {
  const weights = [0.4, 1, 3.5];
  const observed = batch.observed.map((o, k) => o * weights[k % weights.length]!);
  return { ...batch, observed };
}

describe.each(["wasm", "native"] as const)("the ONNX training step on %s", (backend) => {
  it("updates weights and moments as the reference step does, batch after batch", async () => {
    const runtime = await loadOrtRuntime({ backend, threads: 1 });
    const session = await runtime.createSession(trainingStepModel(shape, optimizer));
    const { Tensor } = runtime.ort;
    let params: Float32Array = initialParameters(layout, seededRandom(2));
    let m: Float32Array = new Float32Array(layout.size);
    let v: Float32Array = new Float32Array(layout.size);
    let step = 0;
    for (const { label, batch } of batches()) {
      // The reference starts each step from the ONNX state, so errors cannot accumulate unseen.
      const reference = Float64Array.from(params);
      const state: AdamWState<Float64Array> = { m: Float64Array.from(m), v: Float64Array.from(v), step };
      const { loss, gradient } = referenceGradients(layout, reference, batch);
      adamwStep(reference, gradient, state, optimizer);
      step += 1;
      const cells = [batch.rows, shape.modelCount];
      const out = await session.run({
        [STEP_INPUTS.params]: new Tensor("float32", params, [layout.size]),
        [STEP_INPUTS.m]: new Tensor("float32", m, [layout.size]),
        [STEP_INPUTS.v]: new Tensor("float32", v, [layout.size]),
        [STEP_INPUTS.step]: new Tensor("float32", Float32Array.of(step), []),
        [STEP_INPUTS.features]: new Tensor("float32", batch.features, [batch.rows, shape.dimension]),
        [STEP_INPUTS.quality]: new Tensor("float32", batch.quality, cells),
        [STEP_INPUTS.cost]: new Tensor("float32", batch.cost, cells),
        [STEP_INPUTS.observed]: new Tensor("float32", batch.observed, cells),
        [STEP_INPUTS.dropout1]: new Tensor("float32", batch.dropout1, [batch.rows, shape.hidden]),
        [STEP_INPUTS.dropout2]: new Tensor("float32", batch.dropout2, [batch.rows, shape.hidden]),
      });
      const before = params;
      params = out[STEP_OUTPUTS.params]!.data as Float32Array;
      m = out[STEP_OUTPUTS.m]!.data as Float32Array;
      v = out[STEP_OUTPUTS.v]!.data as Float32Array;
      const onnxLoss = (out[STEP_OUTPUTS.loss]!.data as Float32Array)[0]!;
      expect(Math.abs(onnxLoss - loss), `${label}: loss`).toBeLessThanOrEqual(1e-5 * Math.max(1, loss));
      expect(worstRelativeError(params, reference).error, `${label}: weights`).toBeLessThan(1e-4);
      expect(worstRelativeError(m, state.m).error, `${label}: first moment`).toBeLessThan(1e-4);
      expect(worstRelativeError(v, state.v).error, `${label}: second moment`).toBeLessThan(1e-4);
      // The step must actually move the weights, or agreement would prove nothing.
      expect(worstRelativeError(params, Float64Array.from(before)).error, `${label}: moved`).toBeGreaterThan(
        1e-6,
      );
    }
  });
});
