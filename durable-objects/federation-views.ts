// What each caller sees of a federation: its owners everything; a client neither the usage ledger
// (the owner's bill) nor who else is in a round, only whether it is itself (so it finds its round),
// nor the model versions that hold a round's intermediate total.
import type { ClientFederation, Federation as FederationRecord } from "../core/wire/federation.ts";
import type { ModelVersion } from "../core/wire/models.ts";
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

/**
 * A round as the caller may see it. A cohort member of a round in progress also sees the digest
 * and signature of the version it trains against (`versionOf`), so it need not fetch the list.
 */
export function roundFor(
  summary: RoundSummary,
  access: Access,
  versionOf?: (version: number) => ModelVersion | undefined,
): RoundSummary | ClientRound {
  const { clientId } = access;
  if (clientId === undefined) return summary;
  const view: ClientRound = summary.shards
    ? clientShardView(summary, clientId)
    : (({ cohort, ...seen }) => ({
        ...seen,
        inCohort: cohort.includes(clientId),
        cohortSize: cohort.length,
      }))(summary);
  const trained = view.inCohort && view.outcome === null ? versionOf?.(view.modelVersion) : undefined;
  if (!trained?.signature) return view;
  return { ...view, model: { sha256: trained.sha256, round: trained.round, signature: trained.signature } };
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
  const current = record.currentRound === null ? undefined : store.viewRound(record.currentRound);
  const inCohort = current !== undefined && current.outcome === null && current.cohort.includes(clientId);
  return { kind: "client", roundVersion: inCohort ? current.modelVersion : null };
}
