// The whole MLP training step as one ONNX graph, since onnxruntime-web has no training API:
// forward, masked loss, backward, global-norm clipping and AdamW. Weights and optimizer moments
// travel as flat vectors in the parameter layout's order; the graph returns their updates.
//
// Inputs:  params, adam_m, adam_v [P]; step [] (1-based count for bias correction);
//          features [B, d]; quality, cost (normalised), observed [B, M]; dropout1, dropout2 [B, H].
// Outputs: params_out, adam_m_out, adam_v_out [P]; loss [].
//
// Variants (extra inputs): `frozen` adds trainable [P] (1 trainable, 0 frozen: the frozen
// parameters and their moments come out bit-for-bit as they went in); `distillation` (a weight)
// adds teacher_quality, teacher_cost, teacher_cells [B, M] and the distillation term.
import type { AdamWOptions } from "../mlp/adamw.ts";
import { CLIP_EPSILON } from "../mlp/adamw.ts";
import { type MlpShape, type ParameterName, parameterLayout } from "../mlp/layout.ts";
import { GraphBuilder } from "./graph-builder.ts";
import { batchSum, blockBackward, forward, type WeightNames } from "./mlp-forward.ts";

export const STEP_INPUTS = {
  params: "params",
  m: "adam_m",
  v: "adam_v",
  step: "step",
  features: "features",
  quality: "quality",
  cost: "cost",
  observed: "observed",
  dropout1: "dropout1",
  dropout2: "dropout2",
  trainable: "trainable",
  teacherQuality: "teacher_quality",
  teacherCost: "teacher_cost",
  teacherCells: "teacher_cells",
} as const;

/** Which optional terms a training-step graph has; the default graph has neither. */
export interface StepVariant {
  /** Train only the parameters the `trainable` input marks. */
  frozen?: boolean;
  /** Weight of the distillation term towards the teacher inputs (0 or absent: none). */
  distillation?: number;
}

export const STEP_OUTPUTS = { params: "params_out", m: "adam_m_out", v: "adam_v_out", loss: "loss" } as const;

/** Slices every named tensor out of a flat input vector. */
function unflattenInput(g: GraphBuilder, flat: string, shape: MlpShape): WeightNames {
  const layout = parameterLayout(shape);
  const names = {} as WeightNames;
  for (const slot of layout.slots) {
    const sliced = g.op("Slice", [
      flat,
      g.int64([slot.offset]),
      g.int64([slot.offset + slot.length]),
      g.int64([0]),
    ]);
    names[slot.name] = slot.shape.length === 1 ? sliced : g.op("Reshape", [sliced, g.int64(slot.shape)]);
  }
  return names;
}

/** The masked loss and its gradients with respect to the two heads' outputs. */
function maskedLoss(g: GraphBuilder, qualityLogit: string, costOutput: string) {
  const { quality, cost, observed } = STEP_INPUTS;
  const count = g.op("ReduceSum", [observed], { keepdims: 0 });
  const scale = g.op("Reciprocal", [g.op("Max", [count, g.scalar(1)])]);
  const predicted = g.op("Sigmoid", [qualityLogit]);
  // `observed` is each cell's weight (0 unobserved, 1 or an inverse-propensity weight): every
  // term is linear in it, so a weighted cell counts as that many observations.
  const difference = g.sub(predicted, quality);
  const error = g.mul(observed, difference);
  const residual = g.sub(costOutput, cost);
  const absolute = g.op("Abs", [residual]);
  const smoothL1 = g.op("Where", [
    g.op("Less", [absolute, g.scalar(1)]),
    g.mul(g.mul(residual, residual), g.scalar(0.5)),
    g.sub(absolute, g.scalar(0.5)),
  ]);
  const total = g.add(
    g.op("ReduceSum", [g.mul(error, difference)], { keepdims: 0 }),
    g.op("ReduceSum", [g.mul(observed, smoothL1)], { keepdims: 0 }),
  );
  const loss = g.mul(total, scale);
  const dQualityLogit = g.mul(
    g.mul(error, g.mul(predicted, g.sub(g.scalar(1), predicted))),
    g.mul(scale, g.scalar(2)),
  );
  const clipped = g.op("Clip", [residual, g.scalar(-1), g.scalar(1)]);
  const dCostOutput = g.mul(g.mul(observed, clipped), scale);
  return { loss, predicted, dQualityLogit, dCostOutput };
}

/** The distillation term (see core/mlp/distillation.ts) and its head-output gradients. */
function distillationLoss(g: GraphBuilder, predicted: string, costOutput: string, weight: number) {
  const { teacherQuality, teacherCost, teacherCells: cells } = STEP_INPUTS;
  const count = g.op("ReduceSum", [cells], { keepdims: 0 });
  const scale = g.mul(g.op("Reciprocal", [g.op("Max", [count, g.scalar(1)])]), g.scalar(weight));
  const qualityError = g.mul(cells, g.sub(predicted, teacherQuality));
  const costError = g.mul(cells, g.sub(costOutput, teacherCost));
  const total = g.add(
    g.op("ReduceSum", [g.mul(qualityError, qualityError)], { keepdims: 0 }),
    g.op("ReduceSum", [g.mul(costError, costError)], { keepdims: 0 }),
  );
  const twiceScale = g.mul(scale, g.scalar(2));
  return {
    loss: g.mul(total, scale),
    dQualityLogit: g.mul(g.mul(qualityError, g.mul(predicted, g.sub(g.scalar(1), predicted))), twiceScale),
    dCostOutput: g.mul(costError, twiceScale),
  };
}

/**
 * Clipping and AdamW on flat vectors with PyTorch's bias correction and decoupled decay. The
 * scalars are folded first (clip factor into the moment coefficients, sqrt(1 - beta2^t) into
 * the step size and epsilon) so that only 13 passes run over the P-long vectors; the results
 * are written straight to the graph's output names, without Identity copies.
 */
function adamw(g: GraphBuilder, gradient: string, options: AdamWOptions, frozen: boolean): void {
  const { learningRate: lr, beta1, beta2, epsilon, weightDecay, maxGradNorm } = options;
  const I = STEP_INPUTS;
  // With frozen parameters the updates go to intermediate values and a Where keeps the frozen
  // entries' inputs: a selection, not arithmetic, so their bytes cannot change.
  const O = frozen ? { m: "adam_m_next", v: "adam_v_next", params: "params_next" } : STEP_OUTPUTS;
  const norm = g.op("Sqrt", [g.op("ReduceSumSquare", [gradient], { keepdims: 0 })]);
  const factor = g.op("Min", [
    g.scalar(1),
    g.div(g.scalar(maxGradNorm), g.add(norm, g.scalar(CLIP_EPSILON))),
  ]);
  // m' = beta1 m + (1 - beta1) (factor g);  v' = beta2 v + (1 - beta2) (factor g)^2
  const mCoefficient = g.mul(g.scalar(1 - beta1), factor);
  const vCoefficient = g.mul(g.scalar(1 - beta2), g.mul(factor, factor));
  const m = g.op("Add", [g.mul(I.m, g.scalar(beta1)), g.mul(gradient, mCoefficient)], {}, O.m);
  const v = g.op(
    "Add",
    [g.mul(I.v, g.scalar(beta2)), g.mul(g.mul(gradient, gradient), vCoefficient)],
    {},
    O.v,
  );
  // lr (m'/c1) / (sqrt(v'/c2) + eps) = [lr sqrt(c2) / c1] m' / (sqrt(v') + eps sqrt(c2))
  const correction1 = g.sub(g.scalar(1), g.op("Pow", [g.scalar(beta1), I.step]));
  const rootCorrection2 = g.op("Sqrt", [g.sub(g.scalar(1), g.op("Pow", [g.scalar(beta2), I.step]))]);
  const stepSize = g.div(g.mul(g.scalar(lr), rootCorrection2), correction1);
  const denominator = g.add(g.op("Sqrt", [v]), g.mul(g.scalar(epsilon), rootCorrection2));
  const decayed = g.mul(I.params, g.scalar(1 - lr * weightDecay));
  g.op("Sub", [decayed, g.mul(g.div(m, denominator), stepSize)], {}, O.params);
  if (!frozen) return;
  const keep = g.op("Cast", [I.trainable], { to: BOOL });
  g.op("Where", [keep, O.params, I.params], {}, STEP_OUTPUTS.params);
  g.op("Where", [keep, O.m, I.m], {}, STEP_OUTPUTS.m);
  g.op("Where", [keep, O.v, I.v], {}, STEP_OUTPUTS.v);
}

/** TensorProto.DataType of bool, for Cast. */
const BOOL = 9;

/** The training-step graph's .onnx bytes for a network shape, optimizer settings and variant. */
export function trainingStepModel(
  shape: MlpShape,
  optimizer: AdamWOptions,
  variant: StepVariant = {},
): Uint8Array {
  const frozen = variant.frozen === true;
  const distillation = variant.distillation ?? 0;
  const { dimension: d, hidden: h, modelCount: mc } = shape;
  const layout = parameterLayout(shape);
  const g = new GraphBuilder("mlp_training_step");
  const I = STEP_INPUTS;
  g.input(I.params, [layout.size]);
  g.input(I.m, [layout.size]);
  g.input(I.v, [layout.size]);
  g.input(I.step, []);
  g.input(I.features, ["batch", d]);
  g.input(I.quality, ["batch", mc]);
  g.input(I.cost, ["batch", mc]);
  g.input(I.observed, ["batch", mc]);
  g.input(I.dropout1, ["batch", h]);
  g.input(I.dropout2, ["batch", h]);
  if (frozen) g.input(I.trainable, [layout.size]);
  if (distillation) {
    g.input(I.teacherQuality, ["batch", mc]);
    g.input(I.teacherCost, ["batch", mc]);
    g.input(I.teacherCells, ["batch", mc]);
  }
  const w = unflattenInput(g, I.params, shape);
  const f = forward(g, w, I.features, { dropout1: I.dropout1, dropout2: I.dropout2 });
  const masked = maskedLoss(g, f.qualityLogit, f.costOutput);
  let { dQualityLogit, dCostOutput } = masked;
  if (distillation) {
    const distilled = distillationLoss(g, masked.predicted, f.costOutput, distillation);
    g.op("Add", [masked.loss, distilled.loss], {}, STEP_OUTPUTS.loss);
    dQualityLogit = g.add(dQualityLogit, distilled.dQualityLogit);
    dCostOutput = g.add(dCostOutput, distilled.dCostOutput);
  } else {
    g.op("Identity", [masked.loss], {}, STEP_OUTPUTS.loss);
  }

  const grads = {} as Record<ParameterName, string>;
  const weightGradient = (dy: string, x: string) => g.op("Gemm", [dy, x], { transA: 1 });
  grads["quality.weight"] = weightGradient(dQualityLogit, f.block2.output);
  grads["quality.bias"] = batchSum(g, dQualityLogit);
  grads["cost.weight"] = weightGradient(dCostOutput, f.block2.output);
  grads["cost.bias"] = batchSum(g, dCostOutput);
  const dHidden2 = g.op("Gemm", [
    dCostOutput,
    w["cost.weight"],
    g.op("MatMul", [dQualityLogit, w["quality.weight"]]),
  ]);
  const b2 = blockBackward(g, dHidden2, f.block2, w["norm2.weight"], I.dropout2);
  grads["norm2.weight"] = b2.dGamma;
  grads["norm2.bias"] = b2.dBeta;
  grads["layer2.weight"] = weightGradient(b2.dz, f.block1.output);
  grads["layer2.bias"] = batchSum(g, b2.dz);
  const dHidden1 = g.op("MatMul", [b2.dz, w["layer2.weight"]]);
  const b1 = blockBackward(g, dHidden1, f.block1, w["norm1.weight"], I.dropout1);
  grads["norm1.weight"] = b1.dGamma;
  grads["norm1.bias"] = b1.dBeta;
  grads["layer1.weight"] = weightGradient(b1.dz, I.features);
  grads["layer1.bias"] = batchSum(g, b1.dz);

  const flatShape = g.int64([-1]);
  const concatenated = g.op(
    "Concat",
    layout.slots.map((s) =>
      s.shape.length === 1 ? grads[s.name] : g.op("Reshape", [grads[s.name], flatShape]),
    ),
    { axis: 0 },
  );
  // Frozen parameters' gradients are zeroed before clipping: the norm is over trainable ones.
  const gradient = frozen ? g.mul(concatenated, I.trainable) : concatenated;
  adamw(g, gradient, optimizer, frozen);
  g.output(STEP_OUTPUTS.params, STEP_OUTPUTS.params, [layout.size]);
  g.output(STEP_OUTPUTS.m, STEP_OUTPUTS.m, [layout.size]);
  g.output(STEP_OUTPUTS.v, STEP_OUTPUTS.v, [layout.size]);
  g.output(STEP_OUTPUTS.loss, STEP_OUTPUTS.loss, []);
  return g.model("fedrouter MLP router: one training step (forward, masked loss, backward, clipping, AdamW)");
}
