// Special functions in log space for the RDP accountant: log-gamma (for binomial coefficients of
// fractional orders), log-erfc (for the tails of the fractional-order sum) and log-sum-exp, so
// that orders up to 1024 neither overflow nor lose the small terms.

// Lanczos approximation, g = 7, nine coefficients (relative error about 1e-15 on the real line).
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

/**
 * log |Γ(x)|, as scipy's gammaln: the reflection formula covers negative non-integer x, which
 * binomial coefficients of fractional orders reach (C(α, i) for i > α + 1).
 */
export function logGamma(x: number): number {
  if (x < 0.5) {
    // Γ(x) Γ(1 - x) = π / sin(πx)
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  }
  const z = x - 1;
  let series = LANCZOS[0] as number;
  for (let i = 1; i < LANCZOS.length; i++) series += (LANCZOS[i] as number) / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return HALF_LOG_TWO_PI + (z + 0.5) * Math.log(t) - t + Math.log(series);
}

/** log |C(n, k)| for real n and k. */
export function logBinomial(n: number, k: number): number {
  return logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
}

/** log(e^a + e^b) without overflow. */
export function logAdd(a: number, b: number): number {
  const low = Math.min(a, b);
  const high = Math.max(a, b);
  if (low === Number.NEGATIVE_INFINITY) return high;
  return Math.log1p(Math.exp(low - high)) + high;
}

/** log(Σ weights[i] e^{terms[i]}) for non-negative weights. */
export function logSumExp(terms: readonly number[], weights?: readonly number[]): number {
  let high = Number.NEGATIVE_INFINITY;
  for (const term of terms) if (term > high) high = term;
  if (high === Number.NEGATIVE_INFINITY || high === Number.POSITIVE_INFINITY) return high;
  let total = 0;
  for (let i = 0; i < terms.length; i++) total += (weights?.[i] ?? 1) * Math.exp((terms[i] as number) - high);
  return high + Math.log(total);
}

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);

/** erf(x) by its Taylor series: accurate to ~1e-15 absolute for |x| ≤ 2. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let total = x;
  for (let n = 1; n < 200; n++) {
    term *= -x2 / n;
    const next = term / (2 * n + 1);
    total += next;
    if (Math.abs(next) < 1e-17 * Math.abs(total)) break;
  }
  return TWO_OVER_SQRT_PI * total;
}

/**
 * log(erfc(x)) for x ≥ 2 from the continued fraction
 * erfc(x) = e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated by modified Lentz.
 */
function logErfcTail(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let k = 1; k < 5000; k++) {
    const a = k / 2;
    d = x + a * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = x + a / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const step = c * d;
    f *= step;
    if (Math.abs(step - 1) < 1e-16) break;
  }
  return -x * x - LOG_SQRT_PI - Math.log(f);
}

/** log(erfc(x)), accurate in relative terms far into the upper tail (as scipy's log_ndtr gives). */
export function logErfc(x: number): number {
  if (x >= 2) return logErfcTail(x);
  if (x > -2) return Math.log1p(-erfSeries(x));
  // erfc(x) = 2 - erfc(-x) for negative x, where erfc(-x) is tiny.
  return Math.log(2 - Math.exp(logErfcTail(-x)));
}
