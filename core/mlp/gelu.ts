// The exact (erf) GELU and its derivative in float64, as PyTorch's nn.GELU() defines it; the
// ONNX graphs use the Erf operator for the same function.

const SQRT_HALF = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** erf to about 1e-15: Taylor series near 0, Laplace's continued fraction for erfc beyond 2. */
export function erf(x: number): number {
  const a = Math.abs(x);
  if (a >= 6) return Math.sign(x);
  if (a < 2) {
    // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
    const x2 = x * x;
    let power = x;
    let sum = x;
    for (let n = 1; n < 60; n++) {
      power *= -x2 / n;
      const term = power / (2 * n + 1);
      sum += term;
      if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(a) = exp(-a^2)/sqrt(pi) / (a + (1/2)/(a + 1/(a + (3/2)/(a + ...))))
  let t = a;
  for (let k = 60; k >= 1; k--) t = a + k / 2 / t;
  const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / t;
  return Math.sign(x) * (1 - erfc);
}

/** GELU(x) = x * Phi(x) with Phi the standard normal CDF. */
export function gelu(x: number): number {
  return 0.5 * x * (1 + erf(x * SQRT_HALF));
}

/** d GELU / dx = Phi(x) + x * phi(x). */
export function geluDerivative(x: number): number {
  return 0.5 * (1 + erf(x * SQRT_HALF)) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x);
}
