// The close transitions of the server state machine, one per stage (called when everyone expected
// has answered or at the stage's deadline), the abort they fall back to, and the message each stage
// has for a client. Like the receive transitions, they update the given state in place.
import { effectiveDegree, neighbourGraph } from "./graph.ts";
import { type Mailbox, memoryMailbox } from "./mailbox.ts";
import type { ServerMessage } from "./messages.ts";
import { fail, SECAGG_ERROR, type SecAggErrorCode, type SecAggFailure } from "./result.ts";
import type { ServerTransition } from "./server.ts";
import { neighbourhoodOutcome, participants, previousStage, type ServerState } from "./server-state.ts";
import { type ProtocolStage, STAGE } from "./stages.ts";
import { buildUnmaskPlan } from "./unmask.ts";

/** Moves the round to aborted, telling every known client why. */
export function abortRound(state: ServerState, code: SecAggErrorCode, message: string): ServerTransition {
  state.stage = STAGE.ABORTED;
  state.abort = { code, message };
  state.revealed = {};
  const outgoing: ServerMessage[] = Object.keys(state.clients).map((clientId) => ({
    type: "round_aborted",
    stage: STAGE.ABORTED,
    roundId: state.config.roundId,
    clientId,
    code,
    message,
  }));
  return { ok: true, state, outgoing, duplicate: false };
}

/** A reason to abort when fewer than t clients remain, or some needed client has fewer than t live neighbours. */
function shortfall(state: ServerState, live: string[], owners: string[], what: string): string | undefined {
  const t = state.config.threshold;
  if (live.length < t) return `only ${live.length} clients ${what}; threshold t = ${t}`;
  const alive = new Set(live);
  for (const owner of owners) {
    const holders = state.clients[owner]!.neighbours.filter((id) => alive.has(id)).length;
    if (holders < t)
      return `client ${owner} has only ${holders} neighbours that ${what}; its secrets need t = ${t} of them`;
  }
  return undefined;
}

/**
 * The message the current stage sends a client, rebuilt from the state and the client's inbox (so
 * a poll can be answered any time). `survivors`, the masked-input participants, may be passed by a
 * caller that answers many clients: it is the same list for all of them once masked_input closed.
 */
export function currentMessageFor(
  state: ServerState,
  clientId: string,
  mailbox: Mailbox,
  survivors?: readonly string[],
): ServerMessage | undefined {
  const record = state.clients[clientId];
  if (!record) return undefined;
  const roundId = state.config.roundId;
  const tookPart = (stage: ProtocolStage) => (id: string) => state.clients[id]!.received[stage] !== undefined;
  switch (state.stage) {
    case STAGE.SHARE_KEYS:
      return {
        type: "neighbour_keys",
        stage: STAGE.SHARE_KEYS,
        roundId,
        clientId,
        index: record.index,
        neighbours: record.neighbours.map((id) => {
          const n = state.clients[id]!;
          return {
            clientId: id,
            index: n.index,
            encryptionPublicKey: n.encryptionPublicKey,
            maskPublicKey: n.maskPublicKey,
            signingPublicKey: n.signingPublicKey,
          };
        }),
      };
    case STAGE.MASKED_INPUT: {
      if (!tookPart(STAGE.SHARE_KEYS)(clientId)) return undefined;
      const inbox = mailbox.inbox(clientId);
      const shares = record.neighbours
        .filter(tookPart(STAGE.SHARE_KEYS))
        .map((from) => ({ from, ciphertext: inbox[from]! }));
      return { type: "forwarded_shares", stage: STAGE.MASKED_INPUT, roundId, clientId, shares };
    }
    case STAGE.CONSISTENCY_CHECK:
      if (!tookPart(STAGE.MASKED_INPUT)(clientId)) return undefined;
      return {
        type: "consistency_request",
        stage: STAGE.CONSISTENCY_CHECK,
        roundId,
        clientId,
        survivors: [...(survivors ?? participants(state, STAGE.MASKED_INPUT))],
      };
    case STAGE.UNMASK:
      if (!tookPart(STAGE.CONSISTENCY_CHECK)(clientId)) return undefined;
      return {
        type: "unmask_request",
        stage: STAGE.UNMASK,
        roundId,
        clientId,
        ...neighbourhoodOutcome(state, clientId),
        roundSurvivors: [...(survivors ?? participants(state, STAGE.MASKED_INPUT))],
        signatures: record.neighbours
          .filter(tookPart(STAGE.CONSISTENCY_CHECK))
          .map((by) => ({ by, signature: state.clients[by]!.survivorSignature! })),
      };
    case STAGE.ABORTED:
      return {
        type: "round_aborted",
        stage: STAGE.ABORTED,
        roundId,
        clientId,
        code: state.abort?.code ?? "",
        message: state.abort?.message ?? "",
      };
    default:
      return undefined;
  }
}

function advance(state: ServerState, recipients: string[], mailbox: Mailbox): ServerTransition {
  const survivors = participants(state, STAGE.MASKED_INPUT);
  const outgoing = recipients
    .map((id) => currentMessageFor(state, id, mailbox, survivors))
    .filter((m) => m !== undefined);
  return { ok: true, state, outgoing, duplicate: false };
}

function wrongStage(state: ServerState, closing: ProtocolStage): SecAggFailure {
  return fail(SECAGG_ERROR.WRONG_STAGE, `cannot close ${closing}: the round is at ${state.stage}`);
}

/** Closes advertise_keys: numbers the clients, builds the neighbour graph and sends each its neighbours' keys. */
export function closeAdvertiseKeys(state: ServerState): ServerTransition {
  if (state.stage !== STAGE.ADVERTISE_KEYS) return wrongStage(state, STAGE.ADVERTISE_KEYS);
  const ids = Object.keys(state.clients).sort();
  const { threshold, neighbourDegree } = state.config;
  if (ids.length < threshold)
    return abortRound(
      state,
      SECAGG_ERROR.TOO_FEW_SURVIVORS,
      `only ${ids.length} clients advertised keys; threshold t = ${threshold}`,
    );
  const degree = effectiveDegree(ids.length, neighbourDegree);
  if (degree < threshold)
    return abortRound(
      state,
      SECAGG_ERROR.TOO_FEW_SURVIVORS,
      `${ids.length} clients give each only ${degree} neighbours; threshold t = ${threshold}`,
    );
  const graph = neighbourGraph(ids.length, neighbourDegree, state.graphSeed);
  ids.forEach((id, i) => {
    const record = state.clients[id]!;
    record.index = i + 1;
    record.neighbours = graph[i]!.map((j) => ids[j]!);
  });
  state.stage = STAGE.SHARE_KEYS;
  // No share exists before keys are shared: the neighbours' keys are all this stage sends.
  return advance(state, ids, memoryMailbox());
}

/**
 * Closes share_keys: forwards to each client the sealed shares of its neighbours that shared keys
 * (a client's shares reach the mailbox only with its whole accepted message, and only neighbours
 * that shared keys are forwarded).
 */
export function closeShareKeys(state: ServerState, mailbox: Mailbox): ServerTransition {
  if (state.stage !== STAGE.SHARE_KEYS) return wrongStage(state, STAGE.SHARE_KEYS);
  const live = participants(state, STAGE.SHARE_KEYS);
  const reason = shortfall(state, live, live, "shared keys");
  if (reason) {
    mailbox.clear();
    return abortRound(state, SECAGG_ERROR.TOO_FEW_SURVIVORS, reason);
  }
  state.stage = STAGE.MASKED_INPUT;
  return advance(state, live, mailbox);
}

/** Owners whose secrets unmasking needs: every survivor, and dropped clients with a surviving neighbour. */
export function neededOwners(state: ServerState): { survivors: string[]; dropped: string[] } {
  const survivors = participants(state, STAGE.MASKED_INPUT);
  const alive = new Set(survivors);
  const dropped = participants(state, STAGE.SHARE_KEYS).filter(
    (id) => !alive.has(id) && state.clients[id]!.neighbours.some((n) => alive.has(n)),
  );
  return { survivors, dropped };
}

/** Closes masked_input: the sealed shares have served; announces the survivor set to every survivor, for it to sign. */
export function closeMaskedInput(state: ServerState, mailbox: Mailbox): ServerTransition {
  if (state.stage !== STAGE.MASKED_INPUT) return wrongStage(state, STAGE.MASKED_INPUT);
  mailbox.clear();
  const { survivors, dropped } = neededOwners(state);
  const reason = shortfall(state, survivors, [...survivors, ...dropped], "sent masked inputs");
  if (reason) return abortRound(state, SECAGG_ERROR.TOO_FEW_SURVIVORS, reason);
  state.stage = STAGE.CONSISTENCY_CHECK;
  return advance(state, survivors, mailbox);
}

/**
 * Closes consistency_check: asks each client that signed which shares to reveal, with its
 * neighbours' signatures. Every needed secret must keep t signing neighbours, since a client
 * reveals nothing without t of its neighbours' signatures and only signers are asked.
 */
export function closeConsistencyCheck(state: ServerState, mailbox: Mailbox): ServerTransition {
  if (state.stage !== STAGE.CONSISTENCY_CHECK) return wrongStage(state, STAGE.CONSISTENCY_CHECK);
  const signers = participants(state, STAGE.CONSISTENCY_CHECK);
  const { survivors, dropped } = neededOwners(state);
  const reason = shortfall(state, signers, [...survivors, ...dropped], "signed the survivor set");
  if (reason) return abortRound(state, SECAGG_ERROR.TOO_FEW_SURVIVORS, reason);
  state.stage = STAGE.UNMASK;
  return advance(state, signers, mailbox);
}

/**
 * Closes unmask: rebuilds survivors' self-mask seeds and dropped clients' mask keys from t shares
 * each, and records the correction plan. The stage becomes done; apply the plan to the total with
 * `applyUnmaskPlan` (chunk by chunk) or `unmaskTotal`.
 */
export async function closeUnmask(state: ServerState): Promise<ServerTransition> {
  if (state.stage !== STAGE.UNMASK) return wrongStage(state, STAGE.UNMASK);
  const responders = participants(state, STAGE.UNMASK);
  const { survivors, dropped } = neededOwners(state);
  const reason = shortfall(state, responders, [...survivors, ...dropped], "answered the unmask request");
  if (reason) return abortRound(state, SECAGG_ERROR.TOO_FEW_SURVIVORS, reason);
  const plan = await buildUnmaskPlan(state, survivors, dropped);
  if (!plan.ok) return abortRound(state, plan.code, plan.message);
  state.plan = plan.value;
  state.revealed = {};
  state.stage = STAGE.DONE;
  return { ok: true, state, outgoing: [], duplicate: false };
}

/** Closes whichever stage the round is at (for a deadline alarm). */
export async function closeStage(state: ServerState, mailbox: Mailbox): Promise<ServerTransition> {
  switch (state.stage) {
    case STAGE.ADVERTISE_KEYS:
      return closeAdvertiseKeys(state);
    case STAGE.SHARE_KEYS:
      return closeShareKeys(state, mailbox);
    case STAGE.MASKED_INPUT:
      return closeMaskedInput(state, mailbox);
    case STAGE.CONSISTENCY_CHECK:
      return closeConsistencyCheck(state, mailbox);
    case STAGE.UNMASK:
      return closeUnmask(state);
    default:
      return fail(SECAGG_ERROR.WRONG_STAGE, `the round is ${state.stage}: nothing to close`);
  }
}

/**
 * Whether the current stage can close now: everyone expected has answered (advertise: the round is
 * full). One pass over the clients, unsorted: a Round asks after every message it accepts.
 */
export function readyToClose(state: ServerState): boolean {
  const stage = state.stage;
  if (stage === STAGE.ADVERTISE_KEYS) return Object.keys(state.clients).length >= state.config.maxClients;
  if (stage === STAGE.DONE || stage === STAGE.ABORTED) return false;
  const before = previousStage(stage)!;
  for (const id in state.clients) {
    const received = state.clients[id]!.received;
    if (received[before] !== undefined && received[stage] === undefined) return false;
  }
  return true;
}

/**
 * Owners whose secret the unmask stage must rebuild (survivors' self-mask seeds, dropped clients'
 * mask keys) that still lack t revealed shares. Once none is left the stage holds all it needs and
 * may close before its deadline: a silent neighbour no longer holds the round open.
 */
export function ownersShortOfShares(state: ServerState): Set<string> {
  const { survivors, dropped } = neededOwners(state);
  const t = state.config.threshold;
  const short = [...survivors, ...dropped].filter((owner) => revealedCount(state, owner) < t);
  return new Set(short);
}

/** After `holder`'s unmask response was accepted: the owners it brought to t shares leave `short`. */
export function sharesRevealedBy(state: ServerState, holder: string, short: Set<string>): void {
  const t = state.config.threshold;
  for (const owner of state.clients[holder]?.neighbours ?? [])
    if (short.has(owner) && revealedCount(state, owner) >= t) short.delete(owner);
}

function revealedCount(state: ServerState, owner: string): number {
  let count = 0;
  for (const _ in state.revealed[owner] ?? {}) count++;
  return count;
}
