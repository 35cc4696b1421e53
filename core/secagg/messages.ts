// Wire messages of secure aggregation as zod schemas (the single source of their types). All are
// JSON-safe (bytes as base64url) except the masked input's vector, a Uint32Array sent as a binary body.
import * as z from "zod";
import { STAGE } from "./stages.ts";

const base64Url = z.string().regex(/^[A-Za-z0-9_-]*$/, "expected base64url");
export const clientIdSchema = z.string().min(1).max(128);
const envelope = { roundId: z.string().min(1).max(200), clientId: clientIdSchema };

/**
 * Client -> server, stage advertise_keys: the client's two ECDH public keys (share encryption,
 * pairwise masks), its Ed25519 key for the consistency check, and its commitment to its self-mask
 * seed (checked against the seed rebuilt at unmasking).
 */
export const advertiseKeysSchema = z.object({
  type: z.literal("advertise_keys"),
  stage: z.literal(STAGE.ADVERTISE_KEYS),
  ...envelope,
  encryptionPublicKey: base64Url,
  maskPublicKey: base64Url,
  signingPublicKey: base64Url,
  selfMaskCommitment: base64Url,
});

/** Server -> client, stage share_keys: the client's index and its neighbours' public keys. */
export const neighbourKeysSchema = z.object({
  type: z.literal("neighbour_keys"),
  stage: z.literal(STAGE.SHARE_KEYS),
  ...envelope,
  index: z.number().int().positive(),
  neighbours: z.array(
    z.object({
      clientId: clientIdSchema,
      index: z.number().int().positive(),
      encryptionPublicKey: base64Url,
      maskPublicKey: base64Url,
      signingPublicKey: base64Url,
    }),
  ),
});

/** Client -> server, stage share_keys: one AES-GCM sealed pair of shares per neighbour. */
export const shareKeysSchema = z.object({
  type: z.literal("share_keys"),
  stage: z.literal(STAGE.SHARE_KEYS),
  ...envelope,
  shares: z.array(z.object({ to: clientIdSchema, ciphertext: base64Url })),
});

/** Server -> client, stage masked_input: the sealed shares addressed to the client by neighbours that shared keys. */
export const forwardedSharesSchema = z.object({
  type: z.literal("forwarded_shares"),
  stage: z.literal(STAGE.MASKED_INPUT),
  ...envelope,
  shares: z.array(z.object({ from: clientIdSchema, ciphertext: base64Url })),
});

/** Client -> server, stage masked_input: the masked vector (binary; everything else is the JSON header). */
export const maskedInputSchema = z.object({
  type: z.literal("masked_input"),
  stage: z.literal(STAGE.MASKED_INPUT),
  ...envelope,
  vector: z.instanceof(Uint32Array),
});

/** Server -> client, stage consistency_check: every client whose masked input is in the sum, for the client to sign. */
export const consistencyRequestSchema = z.object({
  type: z.literal("consistency_request"),
  stage: z.literal(STAGE.CONSISTENCY_CHECK),
  ...envelope,
  survivors: z.array(clientIdSchema),
});

/** Client -> server, stage consistency_check: the client's Ed25519 signature of (round id, survivor set). */
export const consistencySignatureSchema = z.object({
  type: z.literal("consistency_signature"),
  stage: z.literal(STAGE.CONSISTENCY_CHECK),
  ...envelope,
  signature: base64Url,
});

/**
 * Server -> client, stage unmask: which neighbours sent masked inputs (survivors) and which did not
 * (dropped); every client whose masked input the sum holds, so the client can check the sum it
 * helps unmask holds itself and enough others; and the signatures of that set by the neighbours
 * that signed it in the consistency check.
 */
export const unmaskRequestSchema = z.object({
  type: z.literal("unmask_request"),
  stage: z.literal(STAGE.UNMASK),
  ...envelope,
  survivors: z.array(clientIdSchema),
  dropped: z.array(clientIdSchema),
  roundSurvivors: z.array(clientIdSchema),
  signatures: z.array(z.object({ by: clientIdSchema, signature: base64Url })),
});

/** Client -> server, stage unmask: self-mask shares of survivors, mask-key shares of dropped neighbours. */
export const unmaskResponseSchema = z.object({
  type: z.literal("unmask_response"),
  stage: z.literal(STAGE.UNMASK),
  ...envelope,
  selfMaskShares: z.array(z.object({ of: clientIdSchema, share: base64Url })),
  maskKeyShares: z.array(z.object({ of: clientIdSchema, share: base64Url })),
});

/** Server -> client: the round stopped; code and message say why. */
export const roundAbortedSchema = z.object({
  type: z.literal("round_aborted"),
  stage: z.literal(STAGE.ABORTED),
  ...envelope,
  code: z.string(),
  message: z.string(),
});

export const clientMessageSchema = z.discriminatedUnion("type", [
  advertiseKeysSchema,
  shareKeysSchema,
  maskedInputSchema,
  consistencySignatureSchema,
  unmaskResponseSchema,
]);
export const serverMessageSchema = z.discriminatedUnion("type", [
  neighbourKeysSchema,
  forwardedSharesSchema,
  consistencyRequestSchema,
  unmaskRequestSchema,
  roundAbortedSchema,
]);

export type AdvertiseKeys = z.infer<typeof advertiseKeysSchema>;
export type NeighbourKeys = z.infer<typeof neighbourKeysSchema>;
export type ShareKeys = z.infer<typeof shareKeysSchema>;
export type ForwardedShares = z.infer<typeof forwardedSharesSchema>;
export type MaskedInput = z.infer<typeof maskedInputSchema>;
export type ConsistencyRequest = z.infer<typeof consistencyRequestSchema>;
export type ConsistencySignature = z.infer<typeof consistencySignatureSchema>;
export type UnmaskRequest = z.infer<typeof unmaskRequestSchema>;
export type UnmaskResponse = z.infer<typeof unmaskResponseSchema>;
/** Any message a client sends. */
export type ClientMessage = z.infer<typeof clientMessageSchema>;
/** Any message the server sends (each addressed to one client by clientId). */
export type ServerMessage = z.infer<typeof serverMessageSchema>;
