// The MLP's forward pass and its backward pieces as ONNX subgraphs, shared by the training-step
// and the inference graphs. Weights are in PyTorch's [out, in] layout, so Linear is Gemm(transB).
import type { ParameterName } from "../mlp/layout.ts";
import { LAYER_NORM_EPSILON } from "../mlp/reference.ts";
import type { GraphBuilder } from "./graph-builder.ts";

export type WeightNames = Record<ParameterName, string>;

export interface BlockValues {
  /** LayerNorm output (GELU input) */
  normed: string;
  /** (z - mean) * rstd */
  centred: string;
  /** [rows, 1] */
  rstd: string;
  /** Phi(normed), the standard normal CDF, reused by GELU's derivative */
  cdf: string;
  /** after GELU and dropout */
  output: string;
}

export interface ForwardValues {
  block1: BlockValues;
  block2: BlockValues;
  qualityLogit: string;
  costOutput: string;
}

const linear = (g: GraphBuilder, x: string, weight: string, bias: string): string =>
  g.op("Gemm", [x, weight, bias], { transB: 1 });

/** LayerNorm (over the hidden axis) -> exact GELU -> optional dropout mask. */
function block(g: GraphBuilder, z: string, gamma: string, beta: string, mask: string | null): BlockValues {
  const mean = g.op("ReduceMean", [z], { axes: [1], keepdims: 1 });
  const shifted = g.sub(z, mean);
  const variance = g.op("ReduceMean", [g.mul(shifted, shifted)], { axes: [1], keepdims: 1 });
  const rstd = g.op("Reciprocal", [g.op("Sqrt", [g.add(variance, g.scalar(LAYER_NORM_EPSILON))])]);
  const centred = g.mul(shifted, rstd);
  const normed = g.add(g.mul(centred, gamma), beta);
  const erf = g.op("Erf", [g.mul(normed, g.scalar(Math.SQRT1_2))]);
  const cdf = g.mul(g.add(erf, g.scalar(1)), g.scalar(0.5));
  const activated = g.mul(normed, cdf);
  return { normed, centred, rstd, cdf, output: mask ? g.mul(activated, mask) : activated };
}

export function forward(
  g: GraphBuilder,
  w: WeightNames,
  features: string,
  masks: { dropout1: string; dropout2: string } | null,
): ForwardValues {
  const block1 = block(
    g,
    linear(g, features, w["layer1.weight"], w["layer1.bias"]),
    w["norm1.weight"],
    w["norm1.bias"],
    masks?.dropout1 ?? null,
  );
  const block2 = block(
    g,
    linear(g, block1.output, w["layer2.weight"], w["layer2.bias"]),
    w["norm2.weight"],
    w["norm2.bias"],
    masks?.dropout2 ?? null,
  );
  return {
    block1,
    block2,
    qualityLogit: linear(g, block2.output, w["quality.weight"], w["quality.bias"]),
    costOutput: linear(g, block2.output, w["cost.weight"], w["cost.bias"]),
  };
}

/** Column sums over the batch axis: a bias gradient, shape [out]. */
export const batchSum = (g: GraphBuilder, x: string): string =>
  g.op("ReduceSum", [x, g.int64([0], `axis0_${x}`)], { keepdims: 0 });

/** From d(block output) back to d(pre-activation z); also the LayerNorm parameter gradients. */
export function blockBackward(
  g: GraphBuilder,
  dOutput: string,
  values: BlockValues,
  gamma: string,
  mask: string,
): { dz: string; dGamma: string; dBeta: string } {
  const { normed, centred, rstd, cdf } = values;
  // GELU'(x) = Phi(x) + x * exp(-x^2 / 2) / sqrt(2 pi)
  const density = g.mul(
    g.op("Exp", [g.mul(g.mul(normed, normed), g.scalar(-0.5))]),
    g.scalar(1 / Math.sqrt(2 * Math.PI)),
  );
  const dNormed = g.mul(g.mul(dOutput, mask), g.add(cdf, g.mul(normed, density)));
  const dGamma = batchSum(g, g.mul(dNormed, centred));
  const dBeta = batchSum(g, dNormed);
  const dCentred = g.mul(dNormed, gamma);
  const meanD = g.op("ReduceMean", [dCentred], { axes: [1], keepdims: 1 });
  const meanDX = g.op("ReduceMean", [g.mul(dCentred, centred)], { axes: [1], keepdims: 1 });
  const dz = g.mul(rstd, g.sub(g.sub(dCentred, meanD), g.mul(centred, meanDX)));
  return { dz, dGamma, dBeta };
}
