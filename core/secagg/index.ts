// Secure aggregation (Bonawitz et al. 2017, with the SecAgg+ neighbour graph of Bell et al. 2020):
// the public API that the edge (server state machine) and the SDK (client state machine) import.

export { fromBase64Url, toBase64Url } from "./bytes.ts";
/** Client state machine (the SDK runs it): start, then one transition per server message. */
export {
  type ClientNeighbour,
  type ClientState,
  type ClientTransition,
  clientConsistencyCheck,
  clientMaskInput,
  clientShareKeys,
  clientUnmask,
  startClient,
} from "./client.ts";
/** The commitment to a self-mask seed that a client advertises and the server checks the rebuilt seed against. */
export { selfMaskCommitment } from "./commitment.ts";

/** Round configuration: schema, validation (incl. overflow mod 2^32), the fixed-point scale, and the choice of k and t. */
export {
  type Curve,
  type EncodingConfig,
  type EncodingNoise,
  encodedElementBound,
  encodingScale,
  MAX_VECTOR_LENGTH,
  maskedLength,
  NOISE_TAIL_STDDEVS,
  noiseTailBound,
  type RoundConfig,
  roundConfigSchema,
  validateEncodingConfig,
  validateRoundConfig,
} from "./config.ts";
/** Fixed-point encoding [w, w*x] mod 2^32 with clipping and stochastic rounding; plain sum and decode. */
export {
  addInto,
  type ClientReport,
  cryptoRandom,
  type DecodedTotal,
  decode,
  decodeChunk,
  type EncodedUpdate,
  encode,
  quantisationBound,
  stochasticRound,
  sumEncoded,
  toSigned,
} from "./encoding.ts";
/** Privacy floors: the majority threshold, and the minimum threshold, cohort and survivors. */
export {
  DEFAULT_FLOORS,
  majorityShortfall,
  majorityThreshold,
  PROTOCOL_FLOORS,
  type PrivacyFloors,
  type RoundShape,
  roundBelowFloors,
} from "./floors.ts";
export { effectiveDegree, maxNeighbourDegree, neighbourGraph } from "./graph.ts";
export {
  agree,
  derivePairKey,
  detectCurve,
  generateKeyPair,
  type KeyPairJson,
  publicKeyOf,
} from "./key-agreement.ts";
/** Where sealed shares wait for their recipients: a port (rows in a Durable Object), or memory. */
export { type Mailbox, memoryMailbox } from "./mailbox.ts";
/** Primitives: AES-CTR mask generator, ECDH/HKDF, AES-GCM share sealing, Shamir, neighbour graph, bytes. */
export {
  applyMaskStreams,
  counterBlock,
  importMaskSeed,
  keystream,
  MASK_SEED_BYTES,
  MASKING_CHUNK,
  MASKING_IN_FLIGHT,
  type MaskingOptions,
  type MaskStream,
} from "./mask-generator.ts";
/** Wire messages (zod schemas and their types); bytes are base64url, the masked vector a Uint32Array. */
export {
  type AdvertiseKeys,
  advertiseKeysSchema,
  type ClientMessage,
  type ConsistencyRequest,
  type ConsistencySignature,
  clientMessageSchema,
  consistencyRequestSchema,
  consistencySignatureSchema,
  type ForwardedShares,
  forwardedSharesSchema,
  type MaskedInput,
  maskedInputSchema,
  type NeighbourKeys,
  neighbourKeysSchema,
  roundAbortedSchema,
  type ServerMessage,
  type ShareKeys,
  serverMessageSchema,
  shareKeysSchema,
  type UnmaskRequest,
  type UnmaskResponse,
  unmaskRequestSchema,
  unmaskResponseSchema,
} from "./messages.ts";
export { type ChosenParameters, chooseParameters, type ParameterTargets } from "./parameters.ts";
export { fail, SECAGG_ERROR, type SecAggErrorCode, type SecAggFailure, type SecAggResult } from "./result.ts";
/** The round around the protocol (the Durable Object stores it): the federation's quorum, then finishing. */
export {
  abortByOwner,
  closeRoundStage,
  type FederationAnswer,
  FINISH,
  type Finish,
  isFinishing,
  OWNER_ABORT_MESSAGE,
  openProgress,
  type Quorum,
  type RoundOutcome,
  type RoundProgress,
  reportStarted,
  stageClosed,
  totalReported,
  totalUnmasked,
} from "./round-lifecycle.ts";
/** Server state machine (a Durable Object runs it): create, receive per message, close per stage. */
export {
  createServerRound,
  type ReceiveTransition,
  receiveAdvertiseKeys,
  receiveConsistencySignature,
  receiveMaskedInput,
  receiveMessage,
  receiveShareKeys,
  receiveUnmaskResponse,
  type ServerTransition,
} from "./server.ts";
export {
  closeAdvertiseKeys,
  closeConsistencyCheck,
  closeMaskedInput,
  closeShareKeys,
  closeStage,
  closeUnmask,
  currentMessageFor,
  ownersShortOfShares,
  readyToClose,
  sharesRevealedBy,
} from "./server-close.ts";
export {
  type CorrectionStream,
  dropouts,
  participants,
  type ServerClientRecord,
  type ServerState,
  type UnmaskPlan,
} from "./server-state.ts";
export { reconstructSecret, SHAMIR_PRIME, type Share, splitSecret } from "./shamir.ts";
/** Sharded aggregation: shard sizes, and each shard's k and t. */
export {
  DEFAULT_SHARD_SIZE,
  SHARD_TARGETS,
  type ShardParameters,
  shardParameters,
  shardSizes,
  smallestShard,
  splitCohort,
} from "./shards.ts";
export { decryptShare, encryptShare } from "./share-cipher.ts";
/** Stages, the result union and its stable error codes. */
export { PROTOCOL_STAGES, type ProtocolStage, STAGE, type Stage } from "./stages.ts";
/** When a stage stops waiting for its stragglers. */
export { DEFAULT_STAGE_QUORUM, expectedAnswers, hasQuorum, stragglerDeadline } from "./stragglers.ts";
/** What a decoded total of honest encodings satisfies: its weight, and each element within the clipping range. */
export { implausibleTotal, type TotalWeights } from "./total-bounds.ts";
/** Aggregation and unmasking of the total, chunk by chunk (Durable Object storage) or whole. */
export { addMaskedInput, applyUnmaskPlan, unmaskTotal } from "./unmask.ts";
