// The same MLP training step in TensorFlow.js on its WASM backend, for the benchmark's
// comparison: autodiff through tf.variableGrads, then global-norm clipping and AdamW by hand.
import * as tf from "@tensorflow/tfjs-core";
import "@tensorflow/tfjs-backend-wasm";
import { setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import type { AdamWOptions } from "../../core/mlp/adamw.ts";
import type { MlpBatch } from "../../core/mlp/batch.ts";
import { type MlpShape, type ParameterName, parameterLayout } from "../../core/mlp/layout.ts";
import { LAYER_NORM_EPSILON } from "../../core/mlp/reference.ts";
import { registerTfjsGradients } from "./tfjs-gradients.ts";

export async function initTfjsWasm(threads: number): Promise<void> {
  await registerTfjsGradients();
  setThreadsCount(threads);
  await tf.setBackend("wasm");
  await tf.ready();
}

export interface TfjsStep {
  step(batch: MlpBatch): number;
  dispose(): void;
}

export function createTfjsStep(shape: MlpShape, params: Float32Array, options: AdamWOptions): TfjsStep {
  const layout = parameterLayout(shape);
  const vars = {} as Record<ParameterName, tf.Variable>;
  const ms: tf.Variable[] = [];
  const vs: tf.Variable[] = [];
  for (const slot of layout.slots) {
    const data = params.slice(slot.offset, slot.offset + slot.length);
    vars[slot.name] = tf.variable(tf.tensor(data, slot.shape), true, slot.name);
    ms.push(tf.variable(tf.zeros(slot.shape), false));
    vs.push(tf.variable(tf.zeros(slot.shape), false));
  }
  const ordered = layout.slots.map((s) => vars[s.name]);
  let t = 0;
  const linear = (x: tf.Tensor2D, w: tf.Variable, b: tf.Variable) =>
    tf.add(tf.matMul(x, w as tf.Tensor2D, false, true), b) as tf.Tensor2D;
  const block = (z: tf.Tensor2D, gamma: tf.Variable, beta: tf.Variable, mask: tf.Tensor2D) => {
    const { mean, variance } = tf.moments(z, 1, true);
    const normed = tf.add(
      tf.mul(tf.mul(tf.sub(z, mean), tf.rsqrt(tf.add(variance, LAYER_NORM_EPSILON))), gamma),
      beta,
    );
    const gelu = tf.mul(tf.mul(normed, 0.5), tf.add(1, tf.erf(tf.mul(normed, Math.SQRT1_2))));
    return tf.mul(gelu, mask) as tf.Tensor2D;
  };
  return {
    step(batch) {
      t += 1;
      const loss = tf.tidy(() => {
        const rows = batch.rows;
        const x = tf.tensor2d(batch.features, [rows, shape.dimension]);
        const quality = tf.tensor2d(batch.quality, [rows, shape.modelCount]);
        const cost = tf.tensor2d(batch.cost, [rows, shape.modelCount]);
        const observed = tf.tensor2d(batch.observed, [rows, shape.modelCount]);
        const d1 = tf.tensor2d(batch.dropout1, [rows, shape.hidden]);
        const d2 = tf.tensor2d(batch.dropout2, [rows, shape.hidden]);
        const scale = tf.div(1, tf.maximum(tf.sum(observed), 1));
        const { value, grads } = tf.variableGrads(() => {
          const h1 = block(
            linear(x, vars["layer1.weight"], vars["layer1.bias"]),
            vars["norm1.weight"],
            vars["norm1.bias"],
            d1,
          );
          const h2 = block(
            linear(h1, vars["layer2.weight"], vars["layer2.bias"]),
            vars["norm2.weight"],
            vars["norm2.bias"],
            d2,
          );
          const error = tf.mul(
            observed,
            tf.sub(tf.sigmoid(linear(h2, vars["quality.weight"], vars["quality.bias"])), quality),
          );
          const residual = tf.sub(linear(h2, vars["cost.weight"], vars["cost.bias"]), cost);
          const absolute = tf.abs(residual);
          // Smooth L1 without a comparison (tfjs has no gradient for Less): 0.5 min(|r|,1)^2 + |r| - min(|r|,1).
          const inner = tf.minimum(absolute, 1);
          const smooth = tf.add(tf.mul(tf.square(inner), 0.5), tf.sub(absolute, inner));
          return tf.mul(
            tf.add(tf.sum(tf.square(error)), tf.sum(tf.mul(observed, smooth))),
            scale,
          ) as tf.Scalar;
        }, ordered);
        const gradients = layout.slots.map((s) => grads[s.name] as tf.Tensor);
        const norm = tf.sqrt(tf.addN(gradients.map((g) => tf.sum(tf.square(g)))));
        const factor = tf.minimum(1, tf.div(options.maxGradNorm, tf.add(norm, 1e-6)));
        const c1 = 1 - options.beta1 ** t;
        const c2 = 1 - options.beta2 ** t;
        gradients.forEach((gradient, i) => {
          const g = tf.mul(gradient, factor);
          const m = tf.add(tf.mul(ms[i]!, options.beta1), tf.mul(g, 1 - options.beta1));
          const v = tf.add(tf.mul(vs[i]!, options.beta2), tf.mul(tf.square(g), 1 - options.beta2));
          const w = ordered[i]!;
          const update = tf.div(tf.div(m, c1), tf.add(tf.sqrt(tf.div(v, c2)), options.epsilon));
          w.assign(
            tf.sub(
              tf.mul(w, 1 - options.learningRate * options.weightDecay),
              tf.mul(update, options.learningRate),
            ),
          );
          ms[i]!.assign(m);
          vs[i]!.assign(v);
        });
        return value;
      });
      const value = loss.dataSync()[0]!;
      loss.dispose();
      return value;
    },
    dispose() {
      for (const v of [...ordered, ...ms, ...vs]) v.dispose();
    },
  };
}
