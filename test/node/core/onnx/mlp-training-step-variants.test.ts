// The ONNX training-step graph's variants against the TypeScript reference: a step with frozen
// parameters (the new-models rounds) and a step with the distillation term (joining clients).
import { describe, expect, it } from "vitest";
import { ADAMW_DEFAULTS, type AdamWState, adamwStep } from "../../../../core/mlp/adamw.ts";
import { allocateBatch, fillBatch, type MlpBatch } from "../../../../core/mlp/batch.ts";
import { newHeadsMask } from "../../../../core/mlp/growth.ts";
import { initialParameters, parameterLayout } from "../../../../core/mlp/layout.ts";
import { referenceGradients } from "../../../../core/mlp/reference.ts";
import { teacherPredictions } from "../../../../core/mlp/teacher.ts";
import {
  STEP_INPUTS,
  STEP_OUTPUTS,
  type StepVariant,
  trainingStepModel,
} from "../../../../core/onnx/mlp-training-step.ts";
import { seededRandom } from "../../../../core/random.ts";
import { loadOrtRuntime, type OrtRuntime } from "../../../../ort/index.ts";
import { statsOf, syntheticSet } from "../mlp/fixtures.ts";

const shape = { dimension: 6, hidden: 8, modelCount: 3 };
const layout = parameterLayout(shape);
const optimizer = { ...ADAMW_DEFAULTS, learningRate: 0.01, maxGradNorm: 0.5, weightDecay: 0.05 };

function worstRelativeError(actual: Float32Array, expected: Float64Array): number {
  let worst = 0;
  for (const slot of layout.slots) {
    let difference = 0;
    let magnitude = 0;
    for (let i = slot.offset; i < slot.offset + slot.length; i++) {
      difference = Math.max(difference, Math.abs(actual[i]! - expected[i]!));
      magnitude = Math.max(magnitude, Math.abs(expected[i]!));
    }
    worst = Math.max(worst, magnitude > 0 ? difference / magnitude : difference);
  }
  return worst;
}

/** Batches of 7 real rows and 2 padding rows, with a teacher's targets. */
function batches(count: number): MlpBatch[] {
  const random = seededRandom(8);
  const teacherParams = initialParameters(layout, seededRandom(99));
  return Array.from({ length: count }, () => {
    const set = syntheticSet(random, { n: 7, dimension: shape.dimension, coverage: 0.6 });
    const batch = allocateBatch(shape, 9, true);
    const rows = Array.from({ length: 7 }, (_, i) => i);
    fillBatch(batch, set, rows, statsOf(set), 0.1, random, teacherPredictions(shape, teacherParams, set));
    return batch;
  });
}

async function runSteps(runtime: OrtRuntime, variant: StepVariant, trainable?: Float32Array) {
  const session = await runtime.createSession(trainingStepModel(shape, optimizer, variant));
  const { Tensor } = runtime.ort;
  const start = initialParameters(layout, seededRandom(2));
  let params: Float32Array = start;
  let m: Float32Array = new Float32Array(layout.size);
  let v: Float32Array = new Float32Array(layout.size);
  let step = 0;
  const results: { agreement: number; moments: number; lossGap: number }[] = [];
  for (const batch of batches(4)) {
    const reference = Float64Array.from(params);
    const state: AdamWState<Float64Array> = { m: Float64Array.from(m), v: Float64Array.from(v), step };
    const { loss, gradient } = referenceGradients(layout, reference, batch, variant.distillation ?? 0);
    adamwStep(reference, gradient, state, optimizer, trainable);
    step += 1;
    const cells = [batch.rows, shape.modelCount];
    const feeds: Record<string, InstanceType<typeof Tensor>> = {
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
    };
    if (trainable) feeds[STEP_INPUTS.trainable] = new Tensor("float32", trainable, [layout.size]);
    if (variant.distillation) {
      feeds[STEP_INPUTS.teacherQuality] = new Tensor("float32", batch.teacher!.quality, cells);
      feeds[STEP_INPUTS.teacherCost] = new Tensor("float32", batch.teacher!.cost, cells);
      feeds[STEP_INPUTS.teacherCells] = new Tensor("float32", batch.teacher!.cells, cells);
    }
    const out = await session.run(feeds);
    params = out[STEP_OUTPUTS.params]!.data as Float32Array;
    m = out[STEP_OUTPUTS.m]!.data as Float32Array;
    v = out[STEP_OUTPUTS.v]!.data as Float32Array;
    const onnxLoss = (out[STEP_OUTPUTS.loss]!.data as Float32Array)[0]!;
    results.push({
      agreement: worstRelativeError(params, reference),
      moments: Math.max(worstRelativeError(m, state.m), worstRelativeError(v, state.v)),
      lossGap: Math.abs(onnxLoss - loss) / Math.max(1, loss),
    });
  }
  return { start, params, m, v, results };
}

describe.each(["wasm", "native"] as const)("the ONNX training-step variants on %s", (backend) => {
  it("trains only the new heads, leaving every frozen byte and moment as it was", async () => {
    const runtime = await loadOrtRuntime({ backend, threads: 1 });
    // Model 2 is the new one: its heads train, the trunk and models 0 and 1 are frozen.
    const trainable = newHeadsMask(layout, 2);
    const { start, params, m, v, results } = await runSteps(runtime, { frozen: true }, trainable);
    for (const [i, r] of results.entries()) {
      expect(r.agreement, `step ${i}: weights`).toBeLessThan(1e-4);
      expect(r.moments, `step ${i}: moments`).toBeLessThan(1e-4);
      expect(r.lossGap, `step ${i}: loss`).toBeLessThan(1e-5);
    }
    let moved = 0;
    for (let i = 0; i < layout.size; i++) {
      if (trainable[i]) {
        if (params[i] !== start[i]) moved++;
        continue;
      }
      expect(params[i], `frozen parameter ${i}`).toBe(start[i]);
      expect(m[i]).toBe(0);
      expect(v[i]).toBe(0);
    }
    expect(moved).toBe(2 * (shape.hidden + 1));
  });

  it("adds the distillation term as the reference does", async () => {
    const runtime = await loadOrtRuntime({ backend, threads: 1 });
    const { start, params, results } = await runSteps(runtime, { distillation: 1 });
    for (const [i, r] of results.entries()) {
      expect(r.agreement, `step ${i}: weights`).toBeLessThan(1e-4);
      expect(r.moments, `step ${i}: moments`).toBeLessThan(1e-4);
      expect(r.lossGap, `step ${i}: loss`).toBeLessThan(1e-5);
    }
    expect(worstRelativeError(params, Float64Array.from(start))).toBeGreaterThan(1e-3);
  });
});
