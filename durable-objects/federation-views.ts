// What each caller sees of a federation: its owners everything; a client neither the usage ledger
// (the owner's bill) nor who else is in a round, only whether it is itself (so it finds its round),
// nor the model versions that hold a round's intermediate total.
import type { ClientFederation, Federation as FederationRecord } from "../core/wire/federation.ts";
import type { ClientRound, RoundSummary } from "../core/wire/rounds.ts";
import type { Access } from "./federation-access.ts";
import { clientShardView } from "./federation-shards.ts";
import type { FederationStore, StoredFederation, VersionScope } from "./federation-store.ts";

export function federationFor(
  federation: FederationRecord,
  access: Access,
): FederationRecord | ClientFederation {
  if (access.clientId === undefined) return federation;
  const { usage: _usage, ...seen } = federation;
  return seen;
}

export function roundFor(summary: RoundSummary, access: Access): RoundSummary | ClientRound {
  const { clientId } = access;
  if (clientId === undefined) return summary;
  if (summary.shards) return clientShardView(summary, clientId);
  const { cohort, ...seen } = summary;
  return { ...seen, inCohort: cohort.includes(clientId), cohortSize: cohort.length };
}

/**
 * The model versions a caller may read. Owners: all. A client: the final versions and those no
 * round made (the initial model, a grown one: only what the owner configured and final versions
 * hold), never a version mid-training; but while it is in the cohort of the round in progress,
 * that round's version too, since it computes its contribution from it.
 */
export function versionScope(store: FederationStore, record: StoredFederation, access: Access): VersionScope {
  const { clientId } = access;
  if (clientId === undefined) return { kind: "all" };
  const current = record.currentRound === null ? undefined : store.round(record.currentRound);
  const inCohort = current !== undefined && current.outcome === null && current.cohort.includes(clientId);
  return { kind: "client", roundVersion: inCohort ? current.modelVersion : null };
}
