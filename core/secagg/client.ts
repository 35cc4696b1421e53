// The client side of a secure-aggregation round as a state machine: JSON-serialisable state and one
// transition per server message, each returning the next state and the message to send.
import { fromBase64Url, messageDigest, randomBytes, toBase64Url } from "./bytes.ts";
import { selfMaskCommitment } from "./commitment.ts";
import { maskedLength, type RoundConfig, roundConfigSchema, validateRoundConfig } from "./config.ts";
import { consistencyFailure, generateSigningKeys, isValidSigningKey, signSurvivors } from "./consistency.ts";
import { DEFAULT_FLOORS, type PrivacyFloors, roundBelowFloors } from "./floors.ts";
import {
  agreementKey,
  generateKeyPair,
  isValidPublicKey,
  type KeyPairJson,
  type OwnKey,
} from "./key-agreement.ts";
import { applyMaskStreams, importMaskSeed, MASK_SEED_BYTES, type MaskStream } from "./mask-generator.ts";
import {
  type AdvertiseKeys,
  type ConsistencyRequest,
  type ConsistencySignature,
  consistencyRequestSchema,
  type ForwardedShares,
  forwardedSharesSchema,
  type MaskedInput,
  type NeighbourKeys,
  neighbourKeysSchema,
  type ShareKeys,
  type UnmaskRequest,
  type UnmaskResponse,
  unmaskRequestSchema,
} from "./messages.ts";
import {
  pairwiseMaskSeed,
  pairwiseSign,
  parseSharePayload,
  shareEncryptionKey,
  sharePayload,
} from "./pairwise.ts";
import { fail, SECAGG_ERROR, type SecAggFailure } from "./result.ts";
import { splitSecret } from "./shamir.ts";
import { decryptShare, encryptShare } from "./share-cipher.ts";
import { STAGE, type Stage } from "./stages.ts";

export interface ClientNeighbour {
  index: number;
  encryptionPublicKey: string;
  maskPublicKey: string;
  signingPublicKey: string;
}

/**
 * Keys a client derived earlier in the round, kept beside its state rather than in it (the state is
 * JSON; a restored state derives them again). Key agreement is most of a client's CPU in a round:
 * share_keys derives each neighbour's share key, which masked_input needs again to open the
 * shares, and the pairwise mask seeds are derived while the client waits for its forwarded shares
 * (Web Crypto works off the main thread), so masked_input has only the masks left to add.
 */
interface DerivedKeys {
  shareKeys: Map<string, Uint8Array>;
  /** Resolves to what it could derive; a neighbour missing from it is derived when needed. */
  maskSeeds: Promise<Map<string, Uint8Array>>;
}
const derivedKeys = new WeakMap<ClientState, DerivedKeys>();

/** This client's pairwise mask seed with a neighbour (`maskPrivate`: its mask key, decoded or imported). */
function maskSeedWith(state: ClientState, maskPrivate: OwnKey, peerId: string): Promise<Uint8Array> {
  const { config, clientId } = state;
  return pairwiseMaskSeed(
    config.curve,
    config.roundId,
    maskPrivate,
    clientId,
    state.neighbours[peerId]!.maskPublicKey,
    peerId,
  );
}

/**
 * One of the client's private keys, imported on first use only: masked_input needs them only for a
 * neighbour whose key share_keys did not keep (a restored state).
 */
function importedOnUse(state: ClientState, keys: KeyPairJson): () => Promise<CryptoKey> {
  let imported: Promise<CryptoKey> | undefined;
  return () => {
    imported ??= agreementKey(state.config.curve, fromBase64Url(keys.privateKey));
    return imported;
  };
}

/** Starts deriving the pairwise mask seeds with every neighbour; never rejects. */
function deriveMaskSeeds(state: ClientState): Promise<Map<string, Uint8Array>> {
  return agreementKey(state.config.curve, fromBase64Url(state.maskKeys.privateKey))
    .then((maskPrivate) =>
      Promise.all(
        Object.keys(state.neighbours).map(
          async (peerId) => [peerId, await maskSeedWith(state, maskPrivate, peerId)] as const,
        ),
      ),
    )
    .then(
      (seeds) => new Map(seeds),
      () => new Map(),
    );
}

/** Everything a client keeps between messages; plain JSON (secrets as base64url), so it can be stored. */
export interface ClientState {
  version: 1;
  config: RoundConfig;
  clientId: string;
  /** This client's privacy floors: it refuses an unmask request below them. */
  floors: PrivacyFloors;
  /** The stage of the last message this client sent (DONE after its unmask response). */
  stage: Stage;
  encryptionKeys: KeyPairJson;
  maskKeys: KeyPairJson;
  /** Ed25519 key pair for the consistency check. */
  signingKeys: KeyPairJson;
  /** Seed of the self mask b_u (AES-128 key). */
  selfMaskSeed: string;
  /** Shamir point of this client (0 until the server assigns it). */
  index: number;
  neighbours: Record<string, ClientNeighbour>;
  /** Decrypted shares held for neighbours that shared keys (their mask-key share and self-mask share). */
  held: Record<string, { maskKeyShare: string; selfMaskShare: string }>;
  /** Digest of the server message answered last, so a repeated one gets the same answer. */
  answered?: string;
  sharesSent?: ShareKeys;
  /** The survivor set this client signed (sorted): the only one it will unmask for. */
  survivors?: string[];
  signatureSent?: ConsistencySignature;
  unmaskSent?: UnmaskResponse;
}

/** A client transition: the next state and the message to send, or a typed failure (state untouched). */
export type ClientTransition<M> = { ok: true; state: ClientState; message: M } | SecAggFailure;

/**
 * Starts a client for a round: fresh key pairs and self-mask seed, and the advertise_keys message
 * (the public keys and the commitment to the seed). Refuses (below_floor, before generating
 * anything) a round below the floors: a threshold that is not a strict majority or is below
 * floors.minThreshold, or room for fewer than floors.minCohort.
 */
export async function startClient(
  config: RoundConfig,
  clientId: string,
  floors: PrivacyFloors = DEFAULT_FLOORS,
): Promise<ClientTransition<AdvertiseKeys>> {
  const shape = roundConfigSchema.safeParse(config);
  if (shape.success) {
    const { threshold, neighbourDegree, maxClients } = shape.data;
    const below = roundBelowFloors({ threshold, neighbourDegree, clients: maxClients }, floors);
    if (below) return fail(SECAGG_ERROR.BELOW_FLOOR, `round refused: ${below}`);
  }
  const valid = validateRoundConfig(config);
  if (!valid.ok) return valid;
  if (!(clientId.length > 0 && clientId.length <= 128))
    return fail(SECAGG_ERROR.INVALID_MESSAGE, "client id must have 1 to 128 characters");
  const state: ClientState = {
    version: 1,
    config: valid.value,
    clientId,
    floors: { ...floors },
    stage: STAGE.ADVERTISE_KEYS,
    encryptionKeys: await generateKeyPair(config.curve),
    maskKeys: await generateKeyPair(config.curve),
    signingKeys: await generateSigningKeys(),
    selfMaskSeed: toBase64Url(randomBytes(MASK_SEED_BYTES)),
    index: 0,
    neighbours: {},
    held: {},
  };
  const message: AdvertiseKeys = {
    type: "advertise_keys",
    stage: STAGE.ADVERTISE_KEYS,
    roundId: config.roundId,
    clientId,
    encryptionPublicKey: state.encryptionKeys.publicKey,
    maskPublicKey: state.maskKeys.publicKey,
    signingPublicKey: state.signingKeys.publicKey,
    selfMaskCommitment: await selfMaskCommitment(config.roundId, clientId, fromBase64Url(state.selfMaskSeed)),
  };
  return { ok: true, state, message };
}

/**
 * Checks round, addressee and stage of a server message; `repeat` when it is the one answered last.
 * `seen` is the message's digest, computed once here for the transition to record.
 */
async function admit(
  state: ClientState,
  message: { roundId: string; clientId: string },
  answersWith: Stage,
): Promise<SecAggFailure | { repeat: boolean; seen: string }> {
  if (message.roundId !== state.config.roundId)
    return fail(
      SECAGG_ERROR.WRONG_ROUND,
      `message for round ${message.roundId}, client is in ${state.config.roundId}`,
    );
  if (message.clientId !== state.clientId)
    return fail(
      SECAGG_ERROR.INVALID_MESSAGE,
      `message addressed to ${message.clientId}, not ${state.clientId}`,
    );
  const seen = await messageDigest(message);
  if (state.stage === answersWith || (answersWith === STAGE.UNMASK && state.stage === STAGE.DONE)) {
    if (seen === state.answered) return { repeat: true, seen };
    return fail(SECAGG_ERROR.WRONG_STAGE, `client already answered stage ${answersWith} with other input`);
  }
  const previous: Record<string, Stage> = {
    [STAGE.SHARE_KEYS]: STAGE.ADVERTISE_KEYS,
    [STAGE.MASKED_INPUT]: STAGE.SHARE_KEYS,
    [STAGE.CONSISTENCY_CHECK]: STAGE.MASKED_INPUT,
    [STAGE.UNMASK]: STAGE.CONSISTENCY_CHECK,
  };
  if (state.stage !== previous[answersWith])
    return fail(
      SECAGG_ERROR.WRONG_STAGE,
      `client at stage ${state.stage} cannot answer stage ${answersWith}`,
    );
  return { repeat: false, seen };
}

function parseFailure(error: { message: string }): SecAggFailure {
  return fail(SECAGG_ERROR.INVALID_MESSAGE, error.message);
}

/**
 * Stage share_keys: Shamir-shares the mask private key and the self-mask seed among the
 * neighbours (threshold t) and seals each neighbour's pair of shares with AES-GCM.
 */
export async function clientShareKeys(
  state: ClientState,
  input: NeighbourKeys,
): Promise<ClientTransition<ShareKeys>> {
  const parsed = neighbourKeysSchema.safeParse(input);
  if (!parsed.success) return parseFailure(parsed.error);
  const message = parsed.data;
  const admitted = await admit(state, message, STAGE.SHARE_KEYS);
  if (!("repeat" in admitted)) return admitted;
  if (admitted.repeat && state.sharesSent) return { ok: true, state, message: state.sharesSent };
  const { config, clientId } = state;
  const ids = new Set(message.neighbours.map((n) => n.clientId));
  const indices = new Set([message.index, ...message.neighbours.map((n) => n.index)]);
  if (
    ids.size !== message.neighbours.length ||
    ids.has(clientId) ||
    indices.size !== message.neighbours.length + 1
  )
    return fail(
      SECAGG_ERROR.INVALID_MESSAGE,
      "neighbour list repeats a client, an index, or contains this client",
    );
  if (message.neighbours.length < config.threshold)
    return fail(
      SECAGG_ERROR.TOO_FEW_SURVIVORS,
      `${message.neighbours.length} neighbours cannot hold shares with threshold ${config.threshold}`,
    );
  for (const n of message.neighbours) {
    const valid =
      (await isValidPublicKey(config.curve, fromBase64Url(n.encryptionPublicKey))) &&
      (await isValidPublicKey(config.curve, fromBase64Url(n.maskPublicKey))) &&
      isValidSigningKey(n.signingPublicKey);
    if (!valid)
      return fail(SECAGG_ERROR.INVALID_MESSAGE, `neighbour ${n.clientId} sent an invalid public key`);
  }
  const xs = message.neighbours.map((n) => n.index);
  const maskKeyShares = splitSecret(fromBase64Url(state.maskKeys.privateKey), config.threshold, xs);
  const selfMaskShares = splitSecret(fromBase64Url(state.selfMaskSeed), config.threshold, xs);
  const ownPrivate = await agreementKey(config.curve, fromBase64Url(state.encryptionKeys.privateKey));
  const shares: ShareKeys["shares"] = [];
  const shareKeys = new Map<string, Uint8Array>();
  for (let i = 0; i < message.neighbours.length; i++) {
    const n = message.neighbours[i]!;
    const key = await shareEncryptionKey(
      config.curve,
      config.roundId,
      ownPrivate,
      clientId,
      n.encryptionPublicKey,
      n.clientId,
    );
    shareKeys.set(n.clientId, key);
    const payload = sharePayload(maskKeyShares[i]!.y, selfMaskShares[i]!.y);
    shares.push({
      to: n.clientId,
      ciphertext: await encryptShare(key, payload, config.roundId, clientId, n.clientId),
    });
  }
  const reply: ShareKeys = {
    type: "share_keys",
    stage: STAGE.SHARE_KEYS,
    roundId: config.roundId,
    clientId,
    shares,
  };
  const neighbours: Record<string, ClientNeighbour> = {};
  for (const n of message.neighbours)
    neighbours[n.clientId] = {
      index: n.index,
      encryptionPublicKey: n.encryptionPublicKey,
      maskPublicKey: n.maskPublicKey,
      signingPublicKey: n.signingPublicKey,
    };
  state.stage = STAGE.SHARE_KEYS;
  state.index = message.index;
  state.neighbours = neighbours;
  derivedKeys.set(state, { shareKeys, maskSeeds: deriveMaskSeeds(state) });
  state.answered = admitted.seen;
  state.sharesSent = reply;
  return { ok: true, state, message: reply };
}

/**
 * Stage masked_input: opens the shares forwarded from neighbours (rejecting any that was modified,
 * swapped or replayed) and masks the encoded update y = x + PRG(b_u) + sum over live neighbours
 * of +-PRG(s_uv). `encoded` is [enc(w), enc(w*x)] from `encode`; it is not modified.
 */
export async function clientMaskInput(
  state: ClientState,
  input: ForwardedShares,
  encoded: Uint32Array,
): Promise<ClientTransition<MaskedInput>> {
  const parsed = forwardedSharesSchema.safeParse(input);
  if (!parsed.success) return parseFailure(parsed.error);
  const message = parsed.data;
  const admitted = await admit(state, message, STAGE.MASKED_INPUT);
  if (!("repeat" in admitted)) return admitted;
  const { config, clientId } = state;
  if (encoded.length !== maskedLength(config))
    return fail(
      SECAGG_ERROR.INVALID_VECTOR,
      `encoded update has ${encoded.length} elements, expected ${maskedLength(config)}`,
    );
  let held = state.held;
  const derived = derivedKeys.get(state);
  if (!admitted.repeat) {
    const senders = new Set(message.shares.map((s) => s.from));
    if (senders.size !== message.shares.length)
      return fail(SECAGG_ERROR.INVALID_SHARE, "a neighbour's share arrived twice");
    if (message.shares.length < config.threshold)
      return fail(
        SECAGG_ERROR.TOO_FEW_SURVIVORS,
        `only ${message.shares.length} neighbours shared keys; threshold ${config.threshold}`,
      );
    held = {};
    const encryptionKey = importedOnUse(state, state.encryptionKeys);
    // Opened concurrently (Web Crypto works off the main thread), judged in message order.
    const opened = await Promise.all(
      message.shares.map(async (share) => {
        const neighbour = state.neighbours[share.from];
        if (!neighbour) return { share, known: false, payload: undefined };
        const key =
          derived?.shareKeys.get(share.from) ??
          (await shareEncryptionKey(
            config.curve,
            config.roundId,
            await encryptionKey(),
            clientId,
            neighbour.encryptionPublicKey,
            share.from,
          ));
        const bytes = await decryptShare(key, share.ciphertext, config.roundId, share.from, clientId);
        return { share, known: true, payload: bytes && parseSharePayload(bytes) };
      }),
    );
    for (const { share, known, payload } of opened) {
      if (!known) return fail(SECAGG_ERROR.INVALID_SHARE, `share from ${share.from}, who is not a neighbour`);
      if (!payload)
        return fail(
          SECAGG_ERROR.INVALID_SHARE,
          `share from ${share.from} failed authentication (modified or misrouted)`,
        );
      held[share.from] = {
        maskKeyShare: toBase64Url(payload.maskKeyShare),
        selfMaskShare: toBase64Url(payload.selfMaskShare),
      };
    }
  }
  const seeds = derived ? await derived.maskSeeds : undefined;
  const maskKey = importedOnUse(state, state.maskKeys);
  // The pairwise seeds are derived concurrently too; the order of the streams does not change the sum.
  const streams: MaskStream[] = await Promise.all([
    importMaskSeed(state.selfMaskSeed).then((key) => ({ key, sign: 1 as const })),
    ...Object.keys(held).map(async (peerId) => {
      const neighbour = state.neighbours[peerId]!;
      const seed = seeds?.get(peerId) ?? (await maskSeedWith(state, await maskKey(), peerId));
      return { key: await importMaskSeed(seed), sign: pairwiseSign(state.index, neighbour.index) };
    }),
  ]);
  const vector = encoded.slice();
  await applyMaskStreams(vector, 0, streams);
  state.stage = STAGE.MASKED_INPUT;
  state.held = held;
  state.answered = admitted.seen;
  return {
    ok: true,
    state,
    message: { type: "masked_input", stage: STAGE.MASKED_INPUT, roundId: config.roundId, clientId, vector },
  };
}

/**
 * Stage consistency_check: signs the survivor set the server announced. A client signs once: a
 * different set later is refused, so the server cannot collect its signature on two sets.
 */
export async function clientConsistencyCheck(
  state: ClientState,
  input: ConsistencyRequest,
): Promise<ClientTransition<ConsistencySignature>> {
  const parsed = consistencyRequestSchema.safeParse(input);
  if (!parsed.success) return parseFailure(parsed.error);
  const message = parsed.data;
  const admitted = await admit(state, message, STAGE.CONSISTENCY_CHECK);
  if (!("repeat" in admitted)) return admitted;
  if (admitted.repeat && state.signatureSent) return { ok: true, state, message: state.signatureSent };
  const { config, clientId } = state;
  const survivors = [...message.survivors].sort();
  if (new Set(survivors).size !== survivors.length || !survivors.includes(clientId))
    return fail(
      SECAGG_ERROR.PROTOCOL_VIOLATION,
      "the survivor set must name each client once, this one included",
    );
  if (survivors.length < config.threshold)
    return fail(
      SECAGG_ERROR.TOO_FEW_SURVIVORS,
      `only ${survivors.length} survivors; threshold ${config.threshold}`,
    );
  const reply: ConsistencySignature = {
    type: "consistency_signature",
    stage: STAGE.CONSISTENCY_CHECK,
    roundId: config.roundId,
    clientId,
    signature: await signSurvivors(state.signingKeys, config.roundId, survivors),
  };
  state.stage = STAGE.CONSISTENCY_CHECK;
  state.survivors = survivors;
  state.answered = admitted.seen;
  state.signatureSent = reply;
  return { ok: true, state, message: reply };
}

/**
 * Stage unmask: reveals self-mask shares of surviving neighbours and mask-key shares of dropped
 * ones. Refuses, revealing nothing, a request that does not split the live neighbours exactly into
 * the two groups (so no peer ever gets both kinds revealed), whose round survivors repeat a client,
 * leave this client out, outnumber the round, name strangers on the complete graph or disagree with
 * that split, that names fewer than t survivors (counting itself) or fewer round survivors than
 * floors.minSurvivors, or that fails the consistency check: it must agree with the survivor set
 * this client signed and carry at least t valid signatures of that very set by its neighbours
 * (Bonawitz et al.'s check, which stops a server that told different clients different sets).
 */
export async function clientUnmask(
  state: ClientState,
  input: UnmaskRequest,
): Promise<ClientTransition<UnmaskResponse>> {
  const parsed = unmaskRequestSchema.safeParse(input);
  if (!parsed.success) return parseFailure(parsed.error);
  const message = parsed.data;
  const admitted = await admit(state, message, STAGE.UNMASK);
  if (!("repeat" in admitted)) return admitted;
  if (admitted.repeat && state.unmaskSent) return { ok: true, state, message: state.unmaskSent };
  const { config, clientId } = state;
  const live = Object.keys(state.held);
  const named = [...message.survivors, ...message.dropped];
  if (
    new Set(named).size !== named.length ||
    named.length !== live.length ||
    !named.every((id) => id in state.held)
  )
    return fail(
      SECAGG_ERROR.PROTOCOL_VIOLATION,
      "unmask request must name every live neighbour exactly once, as survivor or dropped",
    );
  const summed = new Set(message.roundSurvivors);
  if (summed.size !== message.roundSurvivors.length)
    return fail(SECAGG_ERROR.PROTOCOL_VIOLATION, "the round's survivors name a client twice");
  if (!summed.has(clientId))
    return fail(SECAGG_ERROR.PROTOCOL_VIOLATION, "the round's survivors do not contain this client");
  if (summed.size > config.maxClients)
    return fail(
      SECAGG_ERROR.PROTOCOL_VIOLATION,
      `the round's survivors name ${summed.size} clients, more than the round's ${config.maxClients}`,
    );
  // On the complete graph every other client that shared keys is a live neighbour, so the list is
  // checked exactly: names this client never heard of would only pad it past the floor.
  const neighbourCount = Object.keys(state.neighbours).length;
  const complete =
    config.neighbourDegree === "complete" ||
    neighbourCount < config.neighbourDegree ||
    neighbourCount >= config.maxClients - 1;
  if (complete && message.roundSurvivors.some((id) => id !== clientId && !(id in state.held)))
    return fail(
      SECAGG_ERROR.PROTOCOL_VIOLATION,
      "the round's survivors name a client that is not a live neighbour in this complete round",
    );
  // A neighbour the sum holds is a survivor here, one it does not hold dropped: any other answer
  // would let the server ask other holders for the other kind of share of the same peer.
  if (!message.survivors.every((id) => summed.has(id)) || message.dropped.some((id) => summed.has(id)))
    return fail(
      SECAGG_ERROR.PROTOCOL_VIOLATION,
      "the round's survivors disagree with the survivors and dropped neighbours named",
    );
  if (summed.size < state.floors.minSurvivors)
    return fail(
      SECAGG_ERROR.BELOW_FLOOR,
      `unmask refused: the sum holds ${summed.size} inputs, below the minimum of ${state.floors.minSurvivors} survivors`,
    );
  if (message.survivors.length + 1 < config.threshold)
    return fail(
      SECAGG_ERROR.TOO_FEW_SURVIVORS,
      `only ${message.survivors.length + 1} survivors in this neighbourhood; threshold ${config.threshold}`,
    );
  const inconsistent = await consistencyFailure(
    message,
    state.survivors ?? [],
    state.neighbours,
    live,
    config.threshold,
  );
  if (inconsistent) return fail(SECAGG_ERROR.CONSISTENCY_CHECK_FAILED, inconsistent);
  const signed = state.survivors ?? [];
  if (summed.size !== signed.length || !signed.every((id) => summed.has(id)))
    return fail(
      SECAGG_ERROR.CONSISTENCY_CHECK_FAILED,
      "the round's survivors differ from the survivor set this client signed",
    );
  const reply: UnmaskResponse = {
    type: "unmask_response",
    stage: STAGE.UNMASK,
    roundId: config.roundId,
    clientId,
    selfMaskShares: message.survivors.map((of) => ({ of, share: state.held[of]!.selfMaskShare })),
    maskKeyShares: message.dropped.map((of) => ({ of, share: state.held[of]!.maskKeyShare })),
  };
  state.stage = STAGE.DONE;
  state.answered = admitted.seen;
  state.unmaskSent = reply;
  return { ok: true, state, message: reply };
}
