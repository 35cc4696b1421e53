// Seeded pseudo-random numbers for simulations and tests. Never used for anything secret:
// secrets come from crypto.getRandomValues.

/** A source of uniform numbers in [0, 1). Injected so that simulations are reproducible. */
export type Random = () => number;

/** murmur3's 32-bit finaliser: spreads every input bit over the output (hashes and seed mixing). */
export function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** sfc32, seeded through splitmix32: fast, small state, good statistical quality. */
export function seededRandom(seed: number): Random {
  let s = seed >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** Standard normal by Box-Muller. */
export function normal(random: Random): number {
  let u = 0;
  while (u === 0) u = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Gamma(shape, 1) by Marsaglia-Tsang, with the boost for shape < 1. */
export function gamma(random: Random, shape: number): number {
  if (shape <= 0) throw new RangeError(`gamma shape must be positive, got ${shape}`);
  if (shape < 1) return gamma(random, shape + 1) * random() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x = 0;
    let v = 0;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** A draw from a symmetric Dirichlet(alpha) over k categories. */
export function dirichlet(random: Random, alpha: number, k: number): Float64Array {
  const draw = new Float64Array(k);
  let total = 0;
  for (let i = 0; i < k; i++) {
    draw[i] = gamma(random, alpha);
    total += draw[i] ?? 0;
  }
  // All-zero draws happen for tiny alpha in floating point; fall back to one category.
  if (total === 0) {
    draw[Math.floor(random() * k)] = 1;
    return draw;
  }
  for (let i = 0; i < k; i++) draw[i] = (draw[i] ?? 0) / total;
  return draw;
}

/** An index drawn from a discrete distribution given by (unnormalised) weights. */
export function categorical(random: Random, weights: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) total += weights[i] ?? 0;
  let target = random() * total;
  for (let i = 0; i < weights.length; i++) {
    target -= weights[i] ?? 0;
    if (target < 0) return i;
  }
  return weights.length - 1;
}

/** Fisher-Yates shuffle in place. */
export function shuffle<T>(random: Random, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}
