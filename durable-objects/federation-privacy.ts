// The federation's differential-privacy budget at the edge: what the versions so far have spent,
// and the refusal of a round that would overspend it. Every published version is counted as one
// noised round at its worst case (only the threshold survived), which over-counts versions that
// no round made (growth) and so errs on the side of the organisations.
import { budgetRefusal, spentAfter } from "../core/privacy/federation-budget.ts";
import { encodingScale } from "../core/secagg/index.ts";
import type { FederationConfig } from "../core/wire/federation.ts";
import { MAX_CONTRIBUTION_LENGTH } from "../core/wire/limits.ts";
import type { PrivacySpent } from "../core/wire/privacy.ts";

/**
 * The charge's parameters: the coarsest encoding a round can use (its largest cohort) and the
 * longest contribution, the worst case for the discrete noise's distance from a Gaussian.
 */
function chargeOf(config: FederationConfig) {
  return {
    threshold: config.secureAggregation.threshold,
    scale: encodingScale(config.roundPolicy.cohortSize, config.clipping),
    dimension: MAX_CONTRIBUTION_LENGTH,
  };
}

/** The cumulative (epsilon, delta) behind `version`; undefined without a budget. */
export function privacySpent(config: FederationConfig, version: number): PrivacySpent | undefined {
  if (!config.privacy) return undefined;
  const { threshold, scale, dimension } = chargeOf(config);
  return spentAfter(config.privacy, version, threshold, scale, dimension);
}

/** Why the round after `version` may not open (budget spent), or undefined. */
export function privacyRefusal(config: FederationConfig, version: number): string | undefined {
  if (!config.privacy) return undefined;
  const { threshold, scale, dimension } = chargeOf(config);
  return budgetRefusal(config.privacy, version, threshold, scale, dimension);
}

/** A version record with its cumulative spend attached when the federation has a budget. */
export function withPrivacySpent<V extends { version: number }>(
  config: FederationConfig,
  version: V,
): V & { privacy?: PrivacySpent } {
  const privacy = privacySpent(config, version.version);
  return privacy ? { ...version, privacy } : version;
}
