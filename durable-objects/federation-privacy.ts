// The federation's differential-privacy budget at the edge: what the versions so far have spent,
// the refusal of a round that would overspend it, the privacy block a round's clients apply, and
// the spend stamped into each version's model file. Every published version is counted as one
// noised round at its worst case (only the threshold survived), which over-counts versions that
// no round made (growth) and so errs on the side of the organisations.
import type { ModelFile } from "../core/model-file.ts";
import { budgetRefusal, spentAfter } from "../core/privacy/federation-budget.ts";
import { withModelPrivacy } from "../core/privacy/model-privacy.ts";
import { roundEncodingScale, roundPrivacyOf } from "../core/privacy/round-privacy.ts";
import type { FederationConfig } from "../core/wire/federation.ts";
import { MAX_CONTRIBUTION_LENGTH } from "../core/wire/limits.ts";
import type { PrivacySpent, RoundPrivacy } from "../core/wire/privacy.ts";

/** What a round of this federation asks its clients to apply; undefined without a budget. */
export function roundPrivacy(config: FederationConfig): RoundPrivacy | undefined {
  if (!config.privacy) return undefined;
  return roundPrivacyOf(config.privacy, config.secureAggregation.threshold, config.models);
}

/**
 * The charge's parameters: the coarsest encoding a round can use (its largest cohort, with room
 * for the noise of the longest contribution) and the longest contribution, the worst case for the
 * discrete noise's distance from a Gaussian.
 */
function chargeOf(config: FederationConfig) {
  const dimension = MAX_CONTRIBUTION_LENGTH;
  const threshold = config.secureAggregation.threshold;
  const noise = config.privacy && { ...config.privacy, noiseShares: threshold };
  return {
    threshold,
    scale: roundEncodingScale(config.roundPolicy.cohortSize, config.clipping, noise, dimension),
    dimension,
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

/**
 * Whether the round after `version` is the last the budget affords: it may open, and the one after
 * it would be refused. Its version is then cut to a last pass that leaves a router.
 */
export function lastAffordableAfter(config: FederationConfig, version: number): boolean {
  const { privacy } = config;
  if (!privacy) return false;
  const { threshold, scale, dimension } = chargeOf(config);
  const refused = (after: number) => budgetRefusal(privacy, after, threshold, scale, dimension) !== undefined;
  return !refused(version) && refused(version + 1);
}

/** A version record with its cumulative spend attached when the federation has a budget. */
export function withPrivacySpent<V extends { version: number }>(
  config: FederationConfig,
  version: V,
): V & { privacy?: PrivacySpent } {
  const privacy = privacySpent(config, version.version);
  return privacy ? { ...version, privacy } : version;
}

/** The model file of `version` with its cumulative spend in its metadata (with a budget). */
export function stampedModel(config: FederationConfig, version: number, file: ModelFile): ModelFile {
  const privacy = privacySpent(config, version);
  return privacy ? withModelPrivacy(file, privacy) : file;
}
