// How a federation closes a round that ended: the tenant charged only the updates the round
// aggregated (the rest of its reservation refunded), the outcome and usage recorded, the federation
// freed for its next round. A Round reports its own end; when that report went missing, the
// Federation asks the Round (reconcile) before it would refuse to open the next round.
import { roundObjectName } from "../core/wire/ids.ts";
import type { RoundSummary } from "../core/wire/rounds.ts";
import type { FederationStore } from "./federation-store.ts";
import type { RoundUsage } from "./round-setup.ts";

/**
 * Settles a round's reservation with the tenant: `used` updates charged, the rest refunded. Safe
 * to repeat; a throw (the Tenant unreachable) propagates so the caller's report is retried.
 */
export async function settleReservation(
  store: FederationStore,
  env: Env,
  round: number,
  used: number,
): Promise<void> {
  const { id, tenantId } = store.created();
  await env.TENANTS.getByName(tenantId).settleUpdates({ federationId: id, round }, used);
}

/** Records a round's abort once (refund, outcome, usage) and frees the federation if it was current. */
export async function closeAbortedRound(
  store: FederationStore,
  env: Env,
  summary: RoundSummary,
  usage: RoundUsage | undefined,
): Promise<void> {
  if (store.round(summary.round)?.outcome) return;
  // An aborted round aggregated nothing: its whole reservation goes back.
  await settleReservation(store, env, summary.round, 0);
  const record = store.created();
  store.transaction(() => {
    store.saveRound(summary);
    store.addUsage({ roundsAborted: 1, bytesIngested: usage?.bytes ?? 0 });
    if (record.currentRound === summary.round) store.saveRecord({ ...record, currentRound: null });
  });
}

/**
 * The federation still counts a round as current: asks its Round whether it ended, and closes it
 * if it aborted (its report went missing). A round that runs stays current. Run in the serial queue.
 */
export async function reconcileCurrentRound(store: FederationStore, env: Env): Promise<void> {
  const record = store.created();
  if (record.currentRound === null) return;
  const stub = env.ROUNDS.getByName(roundObjectName(record.id, record.currentRound));
  const ended = await stub.finalReport();
  // A published round moved the pointer and freed the federation as it was recorded, so only an
  // abort can be left behind.
  if (ended.ok && ended.value?.summary.outcome?.kind === "aborted")
    await closeAbortedRound(store, env, ended.value.summary, ended.value.usage);
}
