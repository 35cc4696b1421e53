// A federation's differential-privacy budget on the wire: fixed at creation, with the noise its
// clients add; and what the versions published so far have spent of it.
import * as z from "zod";

export const privacySpecSchema = z
  .object({
    epsilon: z.number().gt(0).max(100),
    delta: z.number().gt(0).max(0.01),
    /** Central noise standard deviation over the clip norm, for a round at its survivor threshold. */
    noiseMultiplier: z.number().gt(0).max(10_000),
    /** L2 norm each client's contribution is clipped to, in the contribution's units. */
    clipNorm: z.number().gt(0).max(1e6),
  })
  .meta({
    id: "PrivacySpec",
    description:
      "Client-level (epsilon, delta)-DP budget, fixed at creation. Every round is charged as if only its secure-aggregation threshold of clients survived; the edge refuses a round that would take the cumulative epsilon past the budget (409 privacy_budget_exhausted).",
  });

export const privacySpentSchema = z
  .object({ epsilon: z.number().nonnegative(), delta: z.number().nonnegative(), rounds: z.number().int() })
  .meta({ id: "PrivacySpent", description: "Cumulative (epsilon, delta) of the rounds behind a version." });

export type PrivacySpec = z.infer<typeof privacySpecSchema>;
export type PrivacySpent = z.infer<typeof privacySpentSchema>;

/**
 * What a client needs of the federation's budget to take part in a round: the noise, the clip,
 * how many clients the central noise is split over, and the public unit of each model's costs.
 */
export const roundPrivacySchema = z
  .object({
    noiseMultiplier: z.number().gt(0).max(10_000),
    clipNorm: z.number().gt(0).max(1e6),
    /**
     * Clients the central variance is split over: the round's secure-aggregation threshold, the
     * fewest survivors it can publish with, so the survivors' shares always add up to at least it.
     */
    noiseShares: z.number().int().min(1),
    /**
     * Each model's public cost unit (US dollars of 1,000 input and 1,000 output tokens at its list
     * price), in the federation's model order: K-means clips and noises each model's costs in it.
     */
    costUnits: z.array(z.number().gt(0)).max(64),
  })
  .meta({
    id: "RoundPrivacy",
    description:
      "Client-level differential privacy of a round: each client clips its contribution to clipNorm (in units) and adds a discrete Gaussian share of variance (noiseMultiplier · (clipNorm · scale + √vectorLength))² / noiseShares to every element but the weight, before masking.",
  });

export type RoundPrivacy = z.infer<typeof roundPrivacySchema>;
