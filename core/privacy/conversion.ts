// From RDP to (epsilon, delta): the improved conversion dp_accounting uses (Canonne, Kamath and
// Steinke 2020, Proposition 12; Asoodeh et al. 2020, equation 20), with the KL bound
// delta ≤ sqrt(1 - e^{-KL}) for orders near 1.

/** An (epsilon, delta) guarantee and the Rényi order that gave it. */
export interface PrivacyGuarantee {
  readonly epsilon: number;
  readonly delta: number;
  readonly order: number;
}

function checkLengths(orders: readonly number[], rdp: ArrayLike<number>): void {
  if (orders.length !== rdp.length) throw new RangeError("orders and RDP values differ in length");
  for (const alpha of orders) if (alpha < 1) throw new RangeError(`Rényi order must be ≥ 1, got ${alpha}`);
}

/** The smallest epsilon over the orders for which the mechanism is (epsilon, delta)-DP. */
export function epsilonFromRdp(
  orders: readonly number[],
  rdp: ArrayLike<number>,
  delta: number,
): PrivacyGuarantee {
  if (!(delta >= 0)) throw new RangeError(`delta must be non-negative, got ${delta}`);
  checkLengths(orders, rdp);
  if (delta === 0) {
    const allZero = Array.from(rdp).every((r) => r === 0);
    return { epsilon: allZero ? 0 : Number.POSITIVE_INFINITY, delta, order: 0 };
  }
  let best = Number.POSITIVE_INFINITY;
  let bestOrder = orders[0] ?? 0;
  orders.forEach((alpha, index) => {
    const r = rdp[index] as number;
    let epsilon: number;
    // A negative divergence is numerical noise from extreme events: no privacy loss.
    if (r < 0) epsilon = 0;
    else if (delta * delta + Math.expm1(-r) > 0) epsilon = 0;
    // The bound is unstable as α → 1 and useless there anyway.
    else if (alpha > 1.01) epsilon = r + Math.log1p(-1 / alpha) - Math.log(delta * alpha) / (alpha - 1);
    else epsilon = Number.POSITIVE_INFINITY;
    if (epsilon < best) {
      best = epsilon;
      bestOrder = alpha;
    }
  });
  return { epsilon: Math.max(0, best), delta, order: bestOrder };
}

/** The smallest delta over the orders for which the mechanism is (epsilon, delta)-DP. */
export function deltaFromRdp(
  orders: readonly number[],
  rdp: ArrayLike<number>,
  epsilon: number,
): PrivacyGuarantee {
  if (!(epsilon >= 0)) throw new RangeError(`epsilon must be non-negative, got ${epsilon}`);
  checkLengths(orders, rdp);
  let best = Number.POSITIVE_INFINITY;
  let bestOrder = orders[0] ?? 0;
  orders.forEach((alpha, index) => {
    const r = rdp[index] as number;
    let logDelta: number;
    if (r <= 0) logDelta = Number.NEGATIVE_INFINITY;
    else logDelta = 0.5 * Math.log1p(-Math.exp(-r));
    if (alpha > 1.01 && r >= 0) {
      const rdpBound = (alpha - 1) * (r - epsilon + Math.log1p(-1 / alpha)) - Math.log(alpha);
      logDelta = Math.min(logDelta, rdpBound);
    }
    if (logDelta < best) {
      best = logDelta;
      bestOrder = alpha;
    }
  });
  return { epsilon, delta: Math.min(Math.exp(best), 1), order: bestOrder };
}
