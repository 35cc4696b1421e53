// Chooses the neighbour degree k and Shamir threshold t from the cohort size, the tolerated dropout
// rate and the tolerated fraction of corrupt clients (see docs/secure-aggregation.md).
import { majorityThreshold } from "./floors.ts";
import { fail, SECAGG_ERROR, type SecAggResult } from "./result.ts";

export interface ParameterTargets {
  /** Clients expected to start the round (n). */
  cohortSize: number;
  /** Probability that a client drops out at some point of the round (delta). */
  dropoutRate: number;
  /** Largest fraction of clients that may be corrupt and collude with the server (gamma). */
  corruptFraction: number;
  /** -log2 of the allowed probability that some client's input is exposed (default 40). */
  securityBits?: number;
  /** -log2 of the allowed probability that the round aborts for lack of shares (default 20). */
  correctnessBits?: number;
}

export interface ChosenParameters {
  neighbourDegree: number | "complete";
  threshold: number;
  /** log2 of the union bound on a client's input being exposed. */
  log2ExposureBound: number;
  /** log2 of the union bound on some secret being unrecoverable. */
  log2FailureBound: number;
}

/** log2 P[Binomial(trials, p) >= atLeast], exactly by log-sum-exp. */
export function log2BinomialTail(trials: number, p: number, atLeast: number): number {
  if (atLeast <= 0) return 0;
  if (atLeast > trials) return Number.NEGATIVE_INFINITY;
  if (p <= 0) return Number.NEGATIVE_INFINITY;
  if (p >= 1) return 0;
  const logs: number[] = [];
  let logChoose = 0; // ln C(trials, 0)
  for (let i = 0; i <= trials; i++) {
    if (i > 0) logChoose += Math.log(trials - i + 1) - Math.log(i);
    if (i >= atLeast) logs.push(logChoose + i * Math.log(p) + (trials - i) * Math.log1p(-p));
  }
  const top = Math.max(...logs);
  const total = logs.reduce((s, l) => s + Math.exp(l - top), 0);
  return (top + Math.log(total)) / Math.LN2;
}

/**
 * Picks the smallest even k (the complete graph when none below n - 1 works) and for it the
 * smallest t such that
 * - t a strict majority of the k neighbours and the client (`majorityThreshold`), so no two
 *   disjoint groups of neighbours can both reconstruct (per Bell et al.);
 * - security: n * P[Bin(k, gamma) >= t] <= 2^-securityBits, so t corrupt neighbours, which with the
 *   server could rebuild both of a client's secrets, are that unlikely for every client;
 * - correctness: n * P[Bin(k, 1 - delta) < t] <= 2^-correctnessBits, so every client keeps t live
 *   neighbours to answer for it in the unmask stage.
 * For the complete graph the corrupt count is at most floor(gamma * n), so t also exceeds it; when
 * no k below n - 1 meets both targets the complete graph is chosen with the smallest safe t, and
 * its abort probability is reported in log2FailureBound (small cohorts cannot reach 2^-20).
 */
export function chooseParameters(targets: ParameterTargets): SecAggResult<ChosenParameters> {
  const { cohortSize: n, dropoutRate: delta, corruptFraction: gamma } = targets;
  const security = targets.securityBits ?? 40;
  const correctness = targets.correctnessBits ?? 20;
  if (!(Number.isInteger(n) && n >= 3))
    return fail(SECAGG_ERROR.INVALID_CONFIG, `cohort size must be an integer >= 3, got ${n}`);
  if (!(delta >= 0 && delta < 1 && gamma >= 0 && gamma < 1))
    return fail(SECAGG_ERROR.INVALID_CONFIG, "dropout rate and corrupt fraction must be in [0, 1)");
  const log2n = Math.log2(n);
  const evaluate = (k: number, complete: boolean): ChosenParameters | undefined => {
    let t = Math.max(2, majorityThreshold(k), complete ? Math.floor(gamma * n) + 1 : 0);
    while (t <= k && !complete && log2n + log2BinomialTail(k, gamma, t) > -security) t++;
    if (t > k) return undefined;
    const exposure = complete ? Number.NEGATIVE_INFINITY : log2n + log2BinomialTail(k, gamma, t);
    const failure = log2n + log2BinomialTail(k, delta, k - t + 1);
    // The complete graph is the last resort: it keeps the most neighbours, so report its abort
    // probability rather than refuse a small cohort.
    if (!complete && failure > -correctness) return undefined;
    return {
      neighbourDegree: complete ? "complete" : k,
      threshold: t,
      log2ExposureBound: exposure,
      log2FailureBound: failure,
    };
  };
  for (let k = 2; k < n - 1; k += 2) {
    const chosen = evaluate(k, false);
    if (chosen) return { ok: true, value: chosen };
  }
  const complete = evaluate(n - 1, true);
  if (complete) return { ok: true, value: complete };
  return fail(
    SECAGG_ERROR.INVALID_CONFIG,
    `no threshold for n = ${n} keeps a corrupt fraction of ${gamma} below a strict majority of neighbours`,
  );
}
