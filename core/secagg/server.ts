// The server side of a secure-aggregation round as a state machine: one receive transition per
// client message and one close transition per stage (called when all have answered or at a
// deadline). Transitions update the given state in place and return it; on failure it is untouched.
import { canonicalJson, digest, fromBase64Url, utf8 } from "./bytes.ts";
import { maskedLength, type RoundConfig, validateRoundConfig } from "./config.ts";
import { effectiveDegree, neighbourGraph } from "./graph.ts";
import { isValidPublicKey } from "./key-agreement.ts";
import {
  type AdvertiseKeys,
  advertiseKeysSchema,
  type MaskedInput,
  maskedInputSchema,
  type ServerMessage,
  type ShareKeys,
  shareKeysSchema,
  type UnmaskResponse,
  unmaskResponseSchema,
} from "./messages.ts";
import { SEALED_SHARE_BYTES } from "./pairwise.ts";
import { fail, SECAGG_ERROR, type SecAggErrorCode, type SecAggFailure, type SecAggResult } from "./result.ts";
import {
  participants,
  pendingClients,
  previousStage,
  type ServerClientRecord,
  type ServerState,
} from "./server-state.ts";
import { SHARE_BYTES } from "./shamir.ts";
import { type ProtocolStage, STAGE } from "./stages.ts";
import { buildUnmaskPlan } from "./unmask.ts";

/** A server transition: the state, the messages to deliver (each names its client), and whether the input was a repeat. */
export type ServerTransition =
  | { ok: true; state: ServerState; outgoing: ServerMessage[]; duplicate: boolean }
  | SecAggFailure;

/** Opens a round in stage advertise_keys after validating its configuration. */
export function createServerRound(config: RoundConfig, graphSeed?: number): SecAggResult<ServerState> {
  const valid = validateRoundConfig(config);
  if (!valid.ok) return valid;
  const state: ServerState = {
    version: 1,
    config: valid.value,
    stage: STAGE.ADVERTISE_KEYS,
    graphSeed: graphSeed ?? crypto.getRandomValues(new Uint32Array(1))[0]!,
    clients: {},
    mailbox: {},
    revealed: {},
  };
  return { ok: true, value: state };
}

type Admission =
  | { duplicate: true }
  | { duplicate: false; record: ServerClientRecord | undefined }
  | SecAggFailure;

/** Round, repeat and stage checks shared by every receive transition, in that order. */
function admit(
  state: ServerState,
  message: { roundId: string; clientId: string },
  stage: ProtocolStage,
  seen: string,
): Admission {
  if (message.roundId !== state.config.roundId)
    return fail(
      SECAGG_ERROR.WRONG_ROUND,
      `message for round ${message.roundId}, this is round ${state.config.roundId}`,
    );
  const record = state.clients[message.clientId];
  const earlier = record?.received[stage];
  if (earlier !== undefined) {
    if (earlier === seen) return { duplicate: true };
    return fail(
      SECAGG_ERROR.CONFLICTING_RESUBMISSION,
      `client ${message.clientId} already sent a different ${stage} message`,
    );
  }
  if (state.stage !== stage) {
    const why =
      state.stage === STAGE.ABORTED
        ? `the round aborted: ${state.abort?.message}`
        : `the round is at ${state.stage}`;
    return fail(SECAGG_ERROR.WRONG_STAGE, `${stage} message refused: ${why}`);
  }
  const before = previousStage(stage);
  if (before && record?.received[before] === undefined)
    return fail(
      SECAGG_ERROR.UNKNOWN_CLIENT,
      `client ${message.clientId} did not take part in stage ${before}`,
    );
  return { duplicate: false, record };
}

function repeated(state: ServerState): ServerTransition {
  return { ok: true, state, outgoing: [], duplicate: true };
}

function accepted(state: ServerState): ServerTransition {
  return { ok: true, state, outgoing: [], duplicate: false };
}

const messageDigest = (message: object): Promise<string> => digest(utf8(canonicalJson(message)));

/** advertise_keys: records a client's public keys (refuses invalid keys and clients past maxClients). */
export async function receiveAdvertiseKeys(
  state: ServerState,
  input: AdvertiseKeys,
): Promise<ServerTransition> {
  const parsed = advertiseKeysSchema.safeParse(input);
  if (!parsed.success) return fail(SECAGG_ERROR.INVALID_MESSAGE, parsed.error.message);
  const message = parsed.data;
  const admitted = admit(state, message, STAGE.ADVERTISE_KEYS, await messageDigest(message));
  if ("ok" in admitted) return admitted;
  if (admitted.duplicate) return repeated(state);
  const { curve, maxClients } = state.config;
  if (Object.keys(state.clients).length >= maxClients)
    return fail(SECAGG_ERROR.ROUND_FULL, `the round already has its ${maxClients} clients`);
  for (const key of [message.encryptionPublicKey, message.maskPublicKey])
    if (!(await isValidPublicKey(curve, fromBase64Url(key))))
      return fail(SECAGG_ERROR.INVALID_MESSAGE, `public key is not a valid ${curve} key`);
  if (message.encryptionPublicKey === message.maskPublicKey)
    return fail(SECAGG_ERROR.INVALID_MESSAGE, "the two public keys must differ");
  state.clients[message.clientId] = {
    index: 0,
    encryptionPublicKey: message.encryptionPublicKey,
    maskPublicKey: message.maskPublicKey,
    neighbours: [],
    received: { [STAGE.ADVERTISE_KEYS]: await messageDigest(message) },
  };
  return accepted(state);
}

/** share_keys: stores the sealed shares a client addressed to exactly its neighbours. */
export async function receiveShareKeys(state: ServerState, input: ShareKeys): Promise<ServerTransition> {
  const parsed = shareKeysSchema.safeParse(input);
  if (!parsed.success) return fail(SECAGG_ERROR.INVALID_MESSAGE, parsed.error.message);
  const message = parsed.data;
  const seen = await messageDigest(message);
  const admitted = admit(state, message, STAGE.SHARE_KEYS, seen);
  if ("ok" in admitted) return admitted;
  if (admitted.duplicate) return repeated(state);
  const record = admitted.record!;
  const targets = message.shares.map((s) => s.to);
  if (
    new Set(targets).size !== targets.length ||
    targets.length !== record.neighbours.length ||
    !targets.every((to) => record.neighbours.includes(to))
  )
    return fail(SECAGG_ERROR.INVALID_MESSAGE, "shares must go to each neighbour exactly once");
  if (message.shares.some((s) => Math.floor((s.ciphertext.length * 3) / 4) !== SEALED_SHARE_BYTES))
    return fail(SECAGG_ERROR.INVALID_MESSAGE, `sealed shares must be ${SEALED_SHARE_BYTES} bytes`);
  for (const share of message.shares) {
    state.mailbox[share.to] ??= {};
    state.mailbox[share.to]![message.clientId] = share.ciphertext;
  }
  record.received[STAGE.SHARE_KEYS] = seen;
  return accepted(state);
}

/**
 * masked_input: accepts a client's masked vector once. The caller adds the vector into its running
 * total (`addMaskedInput`) only when the result is not a duplicate; a different second vector is refused.
 */
export async function receiveMaskedInput(state: ServerState, input: MaskedInput): Promise<ServerTransition> {
  const parsed = maskedInputSchema.safeParse(input);
  if (!parsed.success) return fail(SECAGG_ERROR.INVALID_MESSAGE, parsed.error.message);
  const message = parsed.data;
  const { vector } = message;
  const seen = await digest(new Uint8Array(vector.buffer, vector.byteOffset, vector.byteLength));
  const admitted = admit(state, message, STAGE.MASKED_INPUT, seen);
  if ("ok" in admitted) return admitted;
  if (admitted.duplicate) return repeated(state);
  if (vector.length !== maskedLength(state.config))
    return fail(
      SECAGG_ERROR.INVALID_VECTOR,
      `masked vector has ${vector.length} elements, expected ${maskedLength(state.config)}`,
    );
  admitted.record!.received[STAGE.MASKED_INPUT] = seen;
  return accepted(state);
}

/** The survivors and dropped clients among one client's neighbours, as the unmask stage sees them. */
function neighbourhoodOutcome(
  state: ServerState,
  clientId: string,
): { survivors: string[]; dropped: string[] } {
  const record = state.clients[clientId]!;
  const live = record.neighbours.filter((id) => state.clients[id]!.received[STAGE.SHARE_KEYS] !== undefined);
  return {
    survivors: live.filter((id) => state.clients[id]!.received[STAGE.MASKED_INPUT] !== undefined),
    dropped: live.filter((id) => state.clients[id]!.received[STAGE.MASKED_INPUT] === undefined),
  };
}

/** unmask: stores a client's revealed shares; they must cover exactly its surviving and dropped neighbours. */
export async function receiveUnmaskResponse(
  state: ServerState,
  input: UnmaskResponse,
): Promise<ServerTransition> {
  const parsed = unmaskResponseSchema.safeParse(input);
  if (!parsed.success) return fail(SECAGG_ERROR.INVALID_MESSAGE, parsed.error.message);
  const message = parsed.data;
  const seen = await messageDigest(message);
  const admitted = admit(state, message, STAGE.UNMASK, seen);
  if ("ok" in admitted) return admitted;
  if (admitted.duplicate) return repeated(state);
  const { survivors, dropped } = neighbourhoodOutcome(state, message.clientId);
  const sameSet = (shares: { of: string }[], ids: string[]): boolean =>
    shares.length === ids.length &&
    new Set(shares.map((s) => s.of)).size === ids.length &&
    shares.every((s) => ids.includes(s.of));
  if (!sameSet(message.selfMaskShares, survivors) || !sameSet(message.maskKeyShares, dropped))
    return fail(
      SECAGG_ERROR.INVALID_MESSAGE,
      "unmask response must answer for exactly the requested neighbours",
    );
  const all = [...message.selfMaskShares, ...message.maskKeyShares];
  if (all.some((s) => fromBase64Url(s.share).length !== SHARE_BYTES))
    return fail(SECAGG_ERROR.INVALID_MESSAGE, `shares must be ${SHARE_BYTES} bytes`);
  for (const s of all) {
    state.revealed[s.of] ??= {};
    state.revealed[s.of]![message.clientId] = s.share;
  }
  admitted.record!.received[STAGE.UNMASK] = seen;
  return accepted(state);
}

/** Moves the round to aborted, telling every known client why. */
function abort(state: ServerState, code: SecAggErrorCode, message: string): ServerTransition {
  state.stage = STAGE.ABORTED;
  state.abort = { code, message };
  state.mailbox = {};
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

/** The message the current stage sends a client, rebuilt from the state (so a poll can be answered any time). */
export function currentMessageFor(state: ServerState, clientId: string): ServerMessage | undefined {
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
          };
        }),
      };
    case STAGE.MASKED_INPUT: {
      if (!tookPart(STAGE.SHARE_KEYS)(clientId)) return undefined;
      const inbox = state.mailbox[clientId] ?? {};
      const shares = record.neighbours
        .filter(tookPart(STAGE.SHARE_KEYS))
        .map((from) => ({ from, ciphertext: inbox[from]! }));
      return { type: "forwarded_shares", stage: STAGE.MASKED_INPUT, roundId, clientId, shares };
    }
    case STAGE.UNMASK:
      if (!tookPart(STAGE.MASKED_INPUT)(clientId)) return undefined;
      return {
        type: "unmask_request",
        stage: STAGE.UNMASK,
        roundId,
        clientId,
        ...neighbourhoodOutcome(state, clientId),
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

function advance(state: ServerState, recipients: string[]): ServerTransition {
  const outgoing = recipients.map((id) => currentMessageFor(state, id)).filter((m) => m !== undefined);
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
    return abort(
      state,
      SECAGG_ERROR.TOO_FEW_SURVIVORS,
      `only ${ids.length} clients advertised keys; threshold t = ${threshold}`,
    );
  const degree = effectiveDegree(ids.length, neighbourDegree);
  if (degree < threshold)
    return abort(
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
  return advance(state, ids);
}

/** Closes share_keys: forwards to each client the sealed shares of its neighbours that shared keys. */
export function closeShareKeys(state: ServerState): ServerTransition {
  if (state.stage !== STAGE.SHARE_KEYS) return wrongStage(state, STAGE.SHARE_KEYS);
  const live = participants(state, STAGE.SHARE_KEYS);
  const reason = shortfall(state, live, live, "shared keys");
  if (reason) return abort(state, SECAGG_ERROR.TOO_FEW_SURVIVORS, reason);
  // Shares from clients that never finished sharing are never forwarded.
  for (const id of Object.keys(state.mailbox)) if (!live.includes(id)) delete state.mailbox[id];
  state.stage = STAGE.MASKED_INPUT;
  return advance(state, live);
}

/** Owners whose secrets unmasking needs: every survivor, and dropped clients with a surviving neighbour. */
function neededOwners(state: ServerState): { survivors: string[]; dropped: string[] } {
  const survivors = participants(state, STAGE.MASKED_INPUT);
  const alive = new Set(survivors);
  const dropped = participants(state, STAGE.SHARE_KEYS).filter(
    (id) => !alive.has(id) && state.clients[id]!.neighbours.some((n) => alive.has(n)),
  );
  return { survivors, dropped };
}

/** Closes masked_input: asks each survivor which shares to reveal for its neighbours. */
export function closeMaskedInput(state: ServerState): ServerTransition {
  if (state.stage !== STAGE.MASKED_INPUT) return wrongStage(state, STAGE.MASKED_INPUT);
  const { survivors, dropped } = neededOwners(state);
  const reason = shortfall(state, survivors, [...survivors, ...dropped], "sent masked inputs");
  if (reason) return abort(state, SECAGG_ERROR.TOO_FEW_SURVIVORS, reason);
  state.mailbox = {};
  state.stage = STAGE.UNMASK;
  return advance(state, survivors);
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
  if (reason) return abort(state, SECAGG_ERROR.TOO_FEW_SURVIVORS, reason);
  const plan = await buildUnmaskPlan(state, survivors, dropped);
  if (!plan.ok) return abort(state, plan.code, plan.message);
  state.plan = plan.value;
  state.revealed = {};
  state.stage = STAGE.DONE;
  return { ok: true, state, outgoing: [], duplicate: false };
}

/** Closes whichever stage the round is at (for a deadline alarm). */
export async function closeStage(state: ServerState): Promise<ServerTransition> {
  switch (state.stage) {
    case STAGE.ADVERTISE_KEYS:
      return closeAdvertiseKeys(state);
    case STAGE.SHARE_KEYS:
      return closeShareKeys(state);
    case STAGE.MASKED_INPUT:
      return closeMaskedInput(state);
    case STAGE.UNMASK:
      return closeUnmask(state);
    default:
      return fail(SECAGG_ERROR.WRONG_STAGE, `the round is ${state.stage}: nothing to close`);
  }
}

/** Whether the current stage can close now: everyone expected has answered (advertise: the round is full). */
export function readyToClose(state: ServerState): boolean {
  if (state.stage === STAGE.ADVERTISE_KEYS)
    return Object.keys(state.clients).length >= state.config.maxClients;
  if (state.stage === STAGE.DONE || state.stage === STAGE.ABORTED) return false;
  return pendingClients(state).length === 0;
}
