// What a Federation hands a Round when it opens one: the secure-aggregation configuration, the cohort
// with its token hashes (so the Round checks client tokens itself), and the stage deadlines.
import type { RoundConfig } from "../core/secagg/index.ts";
import type { FederationConfig } from "../core/wire/federation.ts";
import type { RoundPrivacy } from "../core/wire/privacy.ts";

export interface CohortMember {
  clientId: string;
  tokenHash: string;
}

export interface RoundSetup {
  federationId: string;
  round: number;
  modelVersion: number;
  secureAggregation: RoundConfig;
  /** With a privacy budget: the clip and noise share each client applies (docs/privacy.md). */
  privacy?: RoundPrivacy;
  cohort: CohortMember[];
  /** Fewest masked inputs for the round to publish (fewer: a clean abort). */
  minParticipants: number;
  /** The platform's fewest survivors when the round opened: below it at any stage, the round aborts. */
  minSurvivors: number;
  deadlines: FederationConfig["roundPolicy"]["deadlines"];
  /** roundPolicy.stageQuorum: when a stage stops waiting for stragglers (absent: the default). */
  stageQuorum?: number;
  /** This Round's shard of a sharded round (its cohort is the shard's); absent when unsharded. */
  shard?: number;
}

/** What a finished round reports for the usage ledger. */
export interface RoundUsage {
  updates: number;
  bytes: number;
}
