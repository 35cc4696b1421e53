// What a Federation hands a Round when it opens one: the secure-aggregation configuration, the cohort
// with its token hashes (so the Round checks client tokens itself), and the stage deadlines.
import type { RoundConfig } from "../core/secagg/index.ts";
import type { FederationConfig } from "../core/wire/federation.ts";

export interface CohortMember {
  clientId: string;
  tokenHash: string;
}

export interface RoundSetup {
  federationId: string;
  round: number;
  modelVersion: number;
  secureAggregation: RoundConfig;
  cohort: CohortMember[];
  /** Fewest masked inputs for the round to publish (fewer: a clean abort). */
  minParticipants: number;
  deadlines: FederationConfig["roundPolicy"]["deadlines"];
}

/** What a finished round reports for the usage ledger. */
export interface RoundUsage {
  updates: number;
  bytes: number;
}

/** Durable Object names: one Federation per federation id, one Round per (federation, round). */
export function roundObjectName(federationId: string, round: number): string {
  return `${federationId}/round/${round}`;
}

/** The secure-aggregation round id, bound into every message and mask of the round. */
export function secureRoundId(federationId: string, round: number): string {
  return `${federationId}/${round}`;
}

/**
 * The fixed-point scale for a round: as fine as possible while maxClients clipped values
 * (weight 1) still sum below 2^31 with a factor-two margin for stochastic rounding.
 */
export function encodingScale(maxClients: number, clip: { min: number; max: number }): number {
  const bound = Math.max(Math.abs(clip.min), Math.abs(clip.max), 1);
  return 2 ** 30 / (maxClients * bound);
}
