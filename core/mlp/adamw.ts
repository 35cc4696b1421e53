// Global gradient-norm clipping and the AdamW update (decoupled weight decay, bias correction),
// with PyTorch's formulas, over flat parameter vectors. The ONNX step graph mirrors this.

export interface AdamWOptions {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  /** Clip the global gradient L2 norm to this (PyTorch's clip_grad_norm_). */
  maxGradNorm: number;
}

export const ADAMW_DEFAULTS: AdamWOptions = {
  learningRate: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weightDecay: 3e-4,
  maxGradNorm: 1,
};

/** PyTorch adds this to the norm before dividing, so a zero gradient stays zero. */
export const CLIP_EPSILON = 1e-6;

/** The factor clip_grad_norm_ multiplies the gradient by: min(1, max / (norm + 1e-6)). */
export function clipFactor(gradient: ArrayLike<number>, maxNorm: number): number {
  let squares = 0;
  for (let i = 0; i < gradient.length; i++) squares += gradient[i]! * gradient[i]!;
  return Math.min(1, maxNorm / (Math.sqrt(squares) + CLIP_EPSILON));
}

export interface AdamWState<T extends Float32Array | Float64Array> {
  m: T;
  v: T;
  /** Steps taken so far (the next update uses step + 1 for bias correction). */
  step: number;
}

/**
 * Clips the gradient and applies one AdamW update to params, m and v in place. With a
 * `trainable` mask (1 trainable, 0 frozen, one entry per parameter) the frozen parameters and
 * their moments are left untouched (no weight decay either) and their gradient is excluded
 * from the clipping norm, as if they were not parameters at all.
 */
export function adamwStep<T extends Float32Array | Float64Array>(
  params: T,
  gradient: ArrayLike<number>,
  state: AdamWState<T>,
  options: AdamWOptions,
  trainable?: ArrayLike<number>,
): void {
  const { learningRate: lr, beta1, beta2, epsilon, weightDecay } = options;
  if (trainable && trainable.length !== params.length)
    throw new RangeError(`trainable mask has ${trainable.length} entries, expected ${params.length}`);
  const scale = clipFactor(
    trainable ? Float64Array.from(gradient, (g, i) => (trainable[i] ? g : 0)) : gradient,
    options.maxGradNorm,
  );
  state.step += 1;
  const correction1 = 1 - beta1 ** state.step;
  const correction2 = 1 - beta2 ** state.step;
  const decay = 1 - lr * weightDecay;
  const { m, v } = state;
  for (let i = 0; i < params.length; i++) {
    if (trainable && !trainable[i]) continue;
    const g = gradient[i]! * scale;
    const mi = beta1 * m[i]! + (1 - beta1) * g;
    const vi = beta2 * v[i]! + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    params[i] = params[i]! * decay - (lr * (mi / correction1)) / (Math.sqrt(vi / correction2) + epsilon);
  }
}
