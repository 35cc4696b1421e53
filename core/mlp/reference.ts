// The plain TypeScript reference of the MLP in float64: forward pass, masked loss and the full
// backward pass. The ONNX training step computes the same function; tests hold both to it.
import type { MlpBatch } from "./batch.ts";
import { distillationLoss } from "./distillation.ts";
import { gelu, geluDerivative } from "./gelu.ts";
import { type ParameterLayout, tensorView } from "./layout.ts";

export const LAYER_NORM_EPSILON = 1e-5;

/** Activations of one layer block kept for the backward pass. */
interface BlockCache {
  /** LayerNorm output before GELU, rows x H */
  normed: Float64Array;
  /** (z - mean) * rstd, rows x H */
  centred: Float64Array;
  /** 1 / sqrt(var + eps) per row */
  rstd: Float64Array;
  /** block output after GELU and dropout, rows x H */
  output: Float64Array;
}

export interface ForwardCache {
  rows: number;
  block1: BlockCache;
  block2: BlockCache;
  /** rows x M quality logits and normalised-cost outputs */
  qualityLogit: Float64Array;
  costOutput: Float64Array;
}

/** y[r, o] = b[o] + sum_i x[r, i] W[o, i] (W in [out, in] layout). */
export function linearForward(
  x: ArrayLike<number>,
  rows: number,
  inputs: number,
  weight: Float64Array,
  bias: Float64Array,
  outputs: number,
  y: Float64Array,
): void {
  for (let r = 0; r < rows; r++) {
    const xo = r * inputs;
    for (let o = 0; o < outputs; o++) {
      const wo = o * inputs;
      let sum = bias[o]!;
      for (let i = 0; i < inputs; i++) sum += x[xo + i]! * weight[wo + i]!;
      y[r * outputs + o] = sum;
    }
  }
}

/** Gradients of a linear layer: dW += dy^T x, db += column sums of dy, dx = dy W (if asked). */
export function linearBackward(
  x: ArrayLike<number>,
  rows: number,
  inputs: number,
  weight: Float64Array,
  outputs: number,
  dy: Float64Array,
  dWeight: Float64Array,
  dBias: Float64Array,
  dx: Float64Array | null,
): void {
  if (dx) dx.fill(0);
  for (let r = 0; r < rows; r++) {
    const xo = r * inputs;
    for (let o = 0; o < outputs; o++) {
      const g = dy[r * outputs + o]!;
      if (g === 0) continue;
      dBias[o]! += g;
      const wo = o * inputs;
      for (let i = 0; i < inputs; i++) dWeight[wo + i]! += g * x[xo + i]!;
      if (dx) for (let i = 0; i < inputs; i++) dx[xo + i]! += g * weight[wo + i]!;
    }
  }
}

function allocateBlock(rows: number, hidden: number): BlockCache {
  return {
    normed: new Float64Array(rows * hidden),
    centred: new Float64Array(rows * hidden),
    rstd: new Float64Array(rows),
    output: new Float64Array(rows * hidden),
  };
}

/** LayerNorm -> GELU -> dropout mask on pre-activations z (rows x H), in place into the cache. */
function blockForward(
  z: Float64Array,
  rows: number,
  hidden: number,
  gamma: Float64Array,
  beta: Float64Array,
  mask: ArrayLike<number> | null,
  cache: BlockCache,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * hidden;
    let mean = 0;
    for (let i = 0; i < hidden; i++) mean += z[o + i]!;
    mean /= hidden;
    let variance = 0;
    for (let i = 0; i < hidden; i++) variance += (z[o + i]! - mean) ** 2;
    variance /= hidden;
    const rstd = 1 / Math.sqrt(variance + LAYER_NORM_EPSILON);
    cache.rstd[r] = rstd;
    for (let i = 0; i < hidden; i++) {
      const centred = (z[o + i]! - mean) * rstd;
      const normed = centred * gamma[i]! + beta[i]!;
      cache.centred[o + i] = centred;
      cache.normed[o + i] = normed;
      cache.output[o + i] = gelu(normed) * (mask ? mask[o + i]! : 1);
    }
  }
}

/** Backward through dropout, GELU and LayerNorm: from d(output) to dz, accumulating dgamma, dbeta. */
function blockBackward(
  dOutput: Float64Array,
  rows: number,
  hidden: number,
  gamma: Float64Array,
  mask: ArrayLike<number>,
  cache: BlockCache,
  dGamma: Float64Array,
  dBeta: Float64Array,
  dz: Float64Array,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * hidden;
    let meanD = 0;
    let meanDX = 0;
    for (let i = 0; i < hidden; i++) {
      const dNormed = dOutput[o + i]! * mask[o + i]! * geluDerivative(cache.normed[o + i]!);
      dGamma[i]! += dNormed * cache.centred[o + i]!;
      dBeta[i]! += dNormed;
      const dCentred = dNormed * gamma[i]!;
      dz[o + i] = dCentred;
      meanD += dCentred;
      meanDX += dCentred * cache.centred[o + i]!;
    }
    meanD /= hidden;
    meanDX /= hidden;
    const rstd = cache.rstd[r]!;
    for (let i = 0; i < hidden; i++) dz[o + i] = rstd * (dz[o + i]! - meanD - cache.centred[o + i]! * meanDX);
  }
}

/** Forward pass; dropout masks apply when given (training), not at inference. */
export function referenceForward(
  layout: ParameterLayout,
  params: Float64Array,
  features: ArrayLike<number>,
  rows: number,
  masks: { dropout1: ArrayLike<number>; dropout2: ArrayLike<number> } | null,
): ForwardCache {
  const { dimension: d, hidden: h, modelCount: m } = layout.shape;
  const view = (name: Parameters<typeof tensorView>[2]) => tensorView(layout, params, name);
  const z = new Float64Array(rows * h);
  const block1 = allocateBlock(rows, h);
  const block2 = allocateBlock(rows, h);
  linearForward(features, rows, d, view("layer1.weight"), view("layer1.bias"), h, z);
  blockForward(z, rows, h, view("norm1.weight"), view("norm1.bias"), masks?.dropout1 ?? null, block1);
  linearForward(block1.output, rows, h, view("layer2.weight"), view("layer2.bias"), h, z);
  blockForward(z, rows, h, view("norm2.weight"), view("norm2.bias"), masks?.dropout2 ?? null, block2);
  const qualityLogit = new Float64Array(rows * m);
  const costOutput = new Float64Array(rows * m);
  linearForward(block2.output, rows, h, view("quality.weight"), view("quality.bias"), m, qualityLogit);
  linearForward(block2.output, rows, h, view("cost.weight"), view("cost.bias"), m, costOutput);
  return { rows, block1, block2, qualityLogit, costOutput };
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/**
 * The masked loss: mean over the batch's observed cells of (sigmoid(logit) - quality)^2 plus
 * the mean over the same cells of Smooth L1 (beta 1) between cost output and normalised target,
 * each cell weighted by its `observed` value (1, or an inverse-propensity weight).
 * Returns the loss and its gradients with respect to both head outputs.
 */
export function maskedLoss(
  cache: ForwardCache,
  batch: Pick<MlpBatch, "quality" | "cost" | "observed">,
): { loss: number; dQualityLogit: Float64Array; dCostOutput: Float64Array } {
  const cells = cache.qualityLogit.length;
  let observed = 0;
  for (let k = 0; k < cells; k++) observed += batch.observed[k]!;
  const scale = 1 / Math.max(1, observed);
  const dQualityLogit = new Float64Array(cells);
  const dCostOutput = new Float64Array(cells);
  let loss = 0;
  for (let k = 0; k < cells; k++) {
    // The cell's weight: 1, or its inverse-propensity weight (the ONNX step weighs the same way).
    const weight = batch.observed[k]!;
    if (!weight) continue;
    const p = sigmoid(cache.qualityLogit[k]!);
    const error = p - batch.quality[k]!;
    const residual = cache.costOutput[k]! - batch.cost[k]!;
    const absolute = Math.abs(residual);
    const cellScale = weight * scale;
    loss += (error * error + (absolute < 1 ? 0.5 * residual * residual : absolute - 0.5)) * cellScale;
    dQualityLogit[k] = 2 * error * p * (1 - p) * cellScale;
    dCostOutput[k] = Math.min(1, Math.max(-1, residual)) * cellScale;
  }
  return { loss, dQualityLogit, dCostOutput };
}

/**
 * The training loss of one batch: the masked loss, plus the distillation term when a weight is
 * given (the batch must then carry the teacher's targets). Gradients are w.r.t. the head outputs.
 */
export function trainingLoss(
  cache: ForwardCache,
  batch: MlpBatch,
  distillation = 0,
): { loss: number; dQualityLogit: Float64Array; dCostOutput: Float64Array } {
  const masked = maskedLoss(cache, batch);
  if (!distillation) return masked;
  if (!batch.teacher) throw new RangeError("distillation needs the teacher's targets in the batch");
  const distilled = distillationLoss(cache, batch.teacher, distillation);
  for (let k = 0; k < masked.dQualityLogit.length; k++) {
    masked.dQualityLogit[k]! += distilled.dQualityLogit[k]!;
    masked.dCostOutput[k]! += distilled.dCostOutput[k]!;
  }
  return { ...masked, loss: masked.loss + distilled.loss };
}

/**
 * Loss and gradient of the flat parameter vector for one batch (dropout masks from the batch),
 * with the distillation term when `distillation` (its weight) is non-zero.
 */
export function referenceGradients(
  layout: ParameterLayout,
  params: Float64Array,
  batch: MlpBatch,
  distillation = 0,
): { loss: number; gradient: Float64Array } {
  const { dimension: d, hidden: h, modelCount: m } = layout.shape;
  const rows = batch.rows;
  const view = (name: Parameters<typeof tensorView>[2]) => tensorView(layout, params, name);
  const cache = referenceForward(layout, params, batch.features, rows, batch);
  const { loss, dQualityLogit, dCostOutput } = trainingLoss(cache, batch, distillation);
  const gradient = new Float64Array(layout.size);
  const grad = (name: Parameters<typeof tensorView>[2]) => tensorView(layout, gradient, name);
  const dHidden = new Float64Array(rows * h);
  const dPart = new Float64Array(rows * h);
  const dz = new Float64Array(rows * h);
  const { block1, block2 } = cache;
  linearBackward(
    block2.output,
    rows,
    h,
    view("quality.weight"),
    m,
    dQualityLogit,
    grad("quality.weight"),
    grad("quality.bias"),
    dHidden,
  );
  linearBackward(
    block2.output,
    rows,
    h,
    view("cost.weight"),
    m,
    dCostOutput,
    grad("cost.weight"),
    grad("cost.bias"),
    dPart,
  );
  for (let i = 0; i < dHidden.length; i++) dHidden[i]! += dPart[i]!;
  blockBackward(
    dHidden,
    rows,
    h,
    view("norm2.weight"),
    batch.dropout2,
    block2,
    grad("norm2.weight"),
    grad("norm2.bias"),
    dz,
  );
  linearBackward(
    block1.output,
    rows,
    h,
    view("layer2.weight"),
    h,
    dz,
    grad("layer2.weight"),
    grad("layer2.bias"),
    dHidden,
  );
  blockBackward(
    dHidden,
    rows,
    h,
    view("norm1.weight"),
    batch.dropout1,
    block1,
    grad("norm1.weight"),
    grad("norm1.bias"),
    dz,
  );
  linearBackward(
    batch.features,
    rows,
    d,
    view("layer1.weight"),
    h,
    dz,
    grad("layer1.weight"),
    grad("layer1.bias"),
    null,
  );
  return { loss, gradient };
}
