// What client and server must compute identically: pairwise mask seeds, their signs, the share
// encryption key, and the layout of the share payload that travels sealed between neighbours.
import { concatBytes, fromBase64Url } from "./bytes.ts";
import type { Curve } from "./config.ts";
import { agree, derivePairKey, type OwnKey } from "./key-agreement.ts";
import { SHARE_BYTES } from "./shamir.ts";

/**
 * The seed of the pairwise mask between two clients: HKDF of their mask-key ECDH secret, bound to
 * the round and the pair. Both sides (and the server, once it has rebuilt a dropped client's key) get the same.
 */
export async function pairwiseMaskSeed(
  curve: Curve,
  roundId: string,
  ownPrivateKey: OwnKey,
  ownId: string,
  peerPublicKey: string,
  peerId: string,
): Promise<Uint8Array> {
  const secret = await agree(curve, ownPrivateKey, fromBase64Url(peerPublicKey));
  return derivePairKey(secret, "pairwise-mask", roundId, ownId, peerId);
}

/** The sign with which a client adds its pairwise mask with a peer: the lower index adds, the higher subtracts, so they cancel. */
export function pairwiseSign(ownIndex: number, peerIndex: number): 1 | -1 {
  return ownIndex < peerIndex ? 1 : -1;
}

/** The AES-GCM key for shares between two clients, from their encryption-key ECDH secret. */
export async function shareEncryptionKey(
  curve: Curve,
  roundId: string,
  ownPrivateKey: OwnKey,
  ownId: string,
  peerPublicKey: string,
  peerId: string,
): Promise<Uint8Array> {
  const secret = await agree(curve, ownPrivateKey, fromBase64Url(peerPublicKey));
  return derivePairKey(secret, "share-encryption", roundId, ownId, peerId);
}

/** Plaintext of a sealed share: the share of the mask private key, then the share of the self-mask seed. */
export function sharePayload(maskKeyShare: Uint8Array, selfMaskShare: Uint8Array): Uint8Array {
  return concatBytes(maskKeyShare, selfMaskShare);
}

export function parseSharePayload(
  payload: Uint8Array,
): { maskKeyShare: Uint8Array; selfMaskShare: Uint8Array } | undefined {
  if (payload.length !== 2 * SHARE_BYTES) return undefined;
  return { maskKeyShare: payload.subarray(0, SHARE_BYTES), selfMaskShare: payload.subarray(SHARE_BYTES) };
}

/** Length in bytes of a sealed share: 12-byte nonce, payload, 16-byte tag. */
export const SEALED_SHARE_BYTES = 12 + 2 * SHARE_BYTES + 16;
