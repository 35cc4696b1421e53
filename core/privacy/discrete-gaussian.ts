// Exact sampling from the discrete Gaussian N_Z(0, σ²) (Canonne, Kamath and Steinke 2020,
// Algorithms 1-3): rational arithmetic and uniform integers only, so no floating-point rounding
// can leak through the noise. σ² is taken as the exact rational value of its double.

/** Uniform integers in [0, bound): the only randomness the sampler draws. */
export type UniformInteger = (bound: bigint) => bigint;

/** A uniform-integer source over crypto.getRandomValues (Web Crypto): for noise that protects anyone. */
export function cryptoUniformInteger(): UniformInteger {
  return (bound) => uniformFromWords(bound, (words) => crypto.getRandomValues(words));
}

/** A uniform-integer source over a seeded Random, for simulations and tests only. */
export function seededUniformInteger(random: () => number): UniformInteger {
  return (bound) =>
    uniformFromWords(bound, (words) => {
      for (let i = 0; i < words.length; i++) words[i] = Math.floor(random() * 4294967296);
      return words;
    });
}

/** Rejection sampling over whole 32-bit words: uniform without modulo bias. */
function uniformFromWords(bound: bigint, fill: (words: Uint32Array) => Uint32Array): bigint {
  if (bound <= 0n) throw new RangeError("bound must be positive");
  if (bound === 1n) return 0n;
  const bits = (bound - 1n).toString(2).length;
  const words = new Uint32Array(Math.ceil(bits / 32));
  const excess = BigInt(words.length * 32 - bits);
  for (;;) {
    fill(words);
    let value = 0n;
    for (const word of words) value = (value << 32n) | BigInt(word);
    value >>= excess;
    if (value < bound) return value;
  }
}

/** The exact rational value of a finite, non-negative double: [numerator, denominator]. */
export function exactRational(value: number): [bigint, bigint] {
  if (!(Number.isFinite(value) && value >= 0))
    throw new RangeError(`finite non-negative value expected, got ${value}`);
  let denominator = 1n;
  let scaled = value;
  while (!Number.isInteger(scaled)) {
    scaled *= 2;
    denominator *= 2n;
  }
  return [BigInt(scaled), denominator];
}

function bernoulli(numerator: bigint, denominator: bigint, uniform: UniformInteger): boolean {
  return uniform(denominator) < numerator;
}

/** Bernoulli(exp(-n/d)) for n/d ≥ 0 (Algorithm 1). */
function bernoulliExpMinus(numerator: bigint, denominator: bigint, uniform: UniformInteger): boolean {
  let n = numerator;
  while (n > denominator) {
    if (!bernoulliExpMinus(1n, 1n, uniform)) return false;
    n -= denominator;
  }
  // Now γ = n/d ∈ [0, 1]: count successes of Bernoulli(γ/k) for k = 1, 2, ...; exp(-γ) is the
  // probability that the count is even.
  let k = 1n;
  while (bernoulli(n, denominator * k, uniform)) k++;
  return k % 2n === 1n;
}

/** Discrete Laplace with scale t, a positive integer (Algorithm 2). */
function discreteLaplace(t: bigint, uniform: UniformInteger): bigint {
  for (;;) {
    const u = uniform(t);
    if (!bernoulliExpMinus(u, t, uniform)) continue;
    let v = 0n;
    while (bernoulliExpMinus(1n, 1n, uniform)) v++;
    const x = u + t * v;
    const negative = uniform(2n) === 1n;
    if (negative && x === 0n) continue;
    return negative ? -x : x;
  }
}

/**
 * One draw from N_Z(0, σ²) (Algorithm 3): a discrete Laplace proposal with t = ⌊σ⌋ + 1,
 * accepted with probability exp(-(|y| - σ²/t)² / (2σ²)).
 */
export function sampleDiscreteGaussian(variance: number, uniform: UniformInteger): bigint {
  if (variance === 0) return 0n;
  const [a, b] = exactRational(variance);
  const t = BigInt(Math.floor(Math.sqrt(variance))) + 1n;
  for (;;) {
    const y = discreteLaplace(t, uniform);
    const magnitude = y < 0n ? -y : y;
    // (|y| - a/(b t))² / (2 a/b) = (|y| b t - a)² / (2 a b t²)
    const gap = magnitude * b * t - a;
    if (bernoulliExpMinus(gap * gap, 2n * a * b * t * t, uniform)) return y;
  }
}
