// What each caller sees of a federation: its owners everything; a client neither the usage ledger
// (the owner's bill) nor who else is in a round, only whether it is itself (so it finds its round).
import type { ClientFederation, Federation as FederationRecord } from "../core/wire/federation.ts";
import type { ClientRound, RoundSummary } from "../core/wire/rounds.ts";
import type { Access } from "./federation-access.ts";

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
  const { cohort, ...seen } = summary;
  return { ...seen, inCohort: cohort.includes(clientId) };
}
