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
