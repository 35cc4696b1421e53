// The server side of a secure-aggregation round as a state machine: creation, then one receive
// transition per client message and the one dispatch over them (the close transitions, one per stage,
// are in server-close.ts). Transitions update the given state in place and return it; on failure it
// is untouched.
import { fromBase64Url, messageDigest, vectorDigest } from "./bytes.ts";
import { COMMITMENT_BYTES } from "./commitment.ts";
import { maskedLength, type RoundConfig, validateRoundConfig } from "./config.ts";
import { isValidSigningKey, verifySurvivors } from "./consistency.ts";
import { isValidPublicKey } from "./key-agreement.ts";
import type { Mailbox } from "./mailbox.ts";
import {
  type AdvertiseKeys,
  advertiseKeysSchema,
  type ClientMessage,
  type ConsistencySignature,
  consistencySignatureSchema,
  type MaskedInput,
  maskedInputSchema,
  type ServerMessage,
  type ShareKeys,
  shareKeysSchema,
  type UnmaskResponse,
  unmaskResponseSchema,
} from "./messages.ts";
import { SEALED_SHARE_BYTES } from "./pairwise.ts";
import { fail, SECAGG_ERROR, type SecAggFailure, type SecAggResult } from "./result.ts";
import {
  neighbourhoodOutcome,
  participants,
  previousStage,
  type ServerClientRecord,
  type ServerState,
} from "./server-state.ts";
import { SHARE_BYTES } from "./shamir.ts";
import { type ProtocolStage, STAGE } from "./stages.ts";

/** A server transition: the state, the messages to deliver (each names its client), and whether the input was a repeat. */
export type ServerTransition =
  | { ok: true; state: ServerState; outgoing: ServerMessage[]; duplicate: boolean }
  | SecAggFailure;

/**
 * A receive transition: a server transition that also gives the digest of the message it accepted
 * (or recognised as a repeat), so the caller's receipt needs no second hash of the message.
 */
export type ReceiveTransition =
  | (Extract<ServerTransition, { ok: true }> & { digest: string })
  | SecAggFailure;

/** Opens a round in stage advertise_keys after validating its configuration. */
export function createServerRound(config: RoundConfig, graphSeed?: number): SecAggResult<ServerState> {
  const valid = validateRoundConfig(config);
  if (!valid.ok) return valid;
  const state: ServerState = {
    version: 2,
    config: valid.value,
    stage: STAGE.ADVERTISE_KEYS,
    graphSeed: graphSeed ?? crypto.getRandomValues(new Uint32Array(1))[0]!,
    clients: {},
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

function repeated(state: ServerState, digest: string): ReceiveTransition {
  return { ok: true, state, outgoing: [], duplicate: true, digest };
}

function accepted(state: ServerState, digest: string): ReceiveTransition {
  return { ok: true, state, outgoing: [], duplicate: false, digest };
}

/** advertise_keys: records a client's public keys (refuses invalid keys and clients past maxClients). */
export async function receiveAdvertiseKeys(
  state: ServerState,
  input: AdvertiseKeys,
): Promise<ReceiveTransition> {
  const parsed = advertiseKeysSchema.safeParse(input);
  if (!parsed.success) return fail(SECAGG_ERROR.INVALID_MESSAGE, parsed.error.message);
  const message = parsed.data;
  const seen = await messageDigest(message);
  const admitted = admit(state, message, STAGE.ADVERTISE_KEYS, seen);
  if ("ok" in admitted) return admitted;
  if (admitted.duplicate) return repeated(state, seen);
  const { curve, maxClients } = state.config;
  if (Object.keys(state.clients).length >= maxClients)
    return fail(SECAGG_ERROR.ROUND_FULL, `the round already has its ${maxClients} clients`);
  for (const key of [message.encryptionPublicKey, message.maskPublicKey])
    if (!(await isValidPublicKey(curve, fromBase64Url(key))))
      return fail(SECAGG_ERROR.INVALID_MESSAGE, `public key is not a valid ${curve} key`);
  if (message.encryptionPublicKey === message.maskPublicKey)
    return fail(SECAGG_ERROR.INVALID_MESSAGE, "the two public keys must differ");
  if (!isValidSigningKey(message.signingPublicKey))
    return fail(SECAGG_ERROR.INVALID_MESSAGE, "the signing key is not a valid Ed25519 public key");
  if (fromBase64Url(message.selfMaskCommitment).length !== COMMITMENT_BYTES)
    return fail(SECAGG_ERROR.INVALID_MESSAGE, `the self-mask commitment must be ${COMMITMENT_BYTES} bytes`);
  state.clients[message.clientId] = {
    index: 0,
    encryptionPublicKey: message.encryptionPublicKey,
    maskPublicKey: message.maskPublicKey,
    signingPublicKey: message.signingPublicKey,
    selfMaskCommitment: message.selfMaskCommitment,
    neighbours: [],
    received: { [STAGE.ADVERTISE_KEYS]: seen },
  };
  return accepted(state, seen);
}

/** share_keys: puts the sealed shares a client addressed to exactly its neighbours in the mailbox. */
export async function receiveShareKeys(
  state: ServerState,
  input: ShareKeys,
  mailbox: Mailbox,
): Promise<ReceiveTransition> {
  const parsed = shareKeysSchema.safeParse(input);
  if (!parsed.success) return fail(SECAGG_ERROR.INVALID_MESSAGE, parsed.error.message);
  const message = parsed.data;
  const seen = await messageDigest(message);
  const admitted = admit(state, message, STAGE.SHARE_KEYS, seen);
  if ("ok" in admitted) return admitted;
  if (admitted.duplicate) return repeated(state, seen);
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
  for (const share of message.shares) mailbox.put(share.to, message.clientId, share.ciphertext);
  record.received[STAGE.SHARE_KEYS] = seen;
  return accepted(state, seen);
}

/**
 * masked_input: accepts a client's masked vector once. The caller adds the vector into its running
 * total (`addMaskedInput`) only when the result is not a duplicate; a different second vector is refused.
 */
export async function receiveMaskedInput(state: ServerState, input: MaskedInput): Promise<ReceiveTransition> {
  const parsed = maskedInputSchema.safeParse(input);
  if (!parsed.success) return fail(SECAGG_ERROR.INVALID_MESSAGE, parsed.error.message);
  const message = parsed.data;
  const { vector } = message;
  const seen = await vectorDigest(vector);
  const admitted = admit(state, message, STAGE.MASKED_INPUT, seen);
  if ("ok" in admitted) return admitted;
  if (admitted.duplicate) return repeated(state, seen);
  if (vector.length !== maskedLength(state.config))
    return fail(
      SECAGG_ERROR.INVALID_VECTOR,
      `masked vector has ${vector.length} elements, expected ${maskedLength(state.config)}`,
    );
  admitted.record!.received[STAGE.MASKED_INPUT] = seen;
  return accepted(state, seen);
}

/**
 * consistency_check: stores a survivor's signature of the survivor set, refusing one that does not
 * verify under the key it advertised (so every signature the server forwards is valid).
 */
export async function receiveConsistencySignature(
  state: ServerState,
  input: ConsistencySignature,
  survivors?: readonly string[],
): Promise<ReceiveTransition> {
  const parsed = consistencySignatureSchema.safeParse(input);
  if (!parsed.success) return fail(SECAGG_ERROR.INVALID_MESSAGE, parsed.error.message);
  const message = parsed.data;
  const seen = await messageDigest(message);
  const admitted = admit(state, message, STAGE.CONSISTENCY_CHECK, seen);
  if ("ok" in admitted) return admitted;
  if (admitted.duplicate) return repeated(state, seen);
  const record = admitted.record!;
  const signed = survivors ?? participants(state, STAGE.MASKED_INPUT);
  if (!(await verifySurvivors(record.signingPublicKey, message.signature, state.config.roundId, signed)))
    return fail(
      SECAGG_ERROR.INVALID_MESSAGE,
      "the signature does not verify over this round's survivor set under the client's signing key",
    );
  record.survivorSignature = message.signature;
  record.received[STAGE.CONSISTENCY_CHECK] = seen;
  return accepted(state, seen);
}

/** unmask: stores a client's revealed shares; they must cover exactly its surviving and dropped neighbours. */
export async function receiveUnmaskResponse(
  state: ServerState,
  input: UnmaskResponse,
): Promise<ReceiveTransition> {
  const parsed = unmaskResponseSchema.safeParse(input);
  if (!parsed.success) return fail(SECAGG_ERROR.INVALID_MESSAGE, parsed.error.message);
  const message = parsed.data;
  const seen = await messageDigest(message);
  const admitted = admit(state, message, STAGE.UNMASK, seen);
  if ("ok" in admitted) return admitted;
  if (admitted.duplicate) return repeated(state, seen);
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
  return accepted(state, seen);
}

/**
 * Receives any client message: the receive transition of the message's stage. `survivors`, once
 * masked_input has closed, saves listing them again for each signature (as in currentMessageFor).
 */
export function receiveMessage(
  state: ServerState,
  message: ClientMessage,
  mailbox: Mailbox,
  survivors?: readonly string[],
): Promise<ReceiveTransition> {
  switch (message.type) {
    case "advertise_keys":
      return receiveAdvertiseKeys(state, message);
    case "share_keys":
      return receiveShareKeys(state, message, mailbox);
    case "masked_input":
      return receiveMaskedInput(state, message);
    case "consistency_signature":
      return receiveConsistencySignature(state, message, survivors);
    case "unmask_response":
      return receiveUnmaskResponse(state, message);
  }
}
