// AES-GCM encryption of the key shares that travel between two clients through the server,
// bound to sender, receiver and round so the server can neither swap nor replay them.
import { concatBytes, fromBase64Url, randomBytes, toBase64Url, utf8 } from "./bytes.ts";

const NONCE_BYTES = 12;

function associatedData(roundId: string, from: string, to: string): Uint8Array {
  return utf8(JSON.stringify(["fedrouter secagg share", roundId, from, to]));
}

async function aesKey(key: Uint8Array, usage: "encrypt" | "decrypt"): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", key as BufferSource, "AES-GCM", false, [usage]);
}

/** Encrypts a share payload from `from` to `to`: base64url of nonce || ciphertext || tag. */
export async function encryptShare(
  key: Uint8Array,
  plaintext: Uint8Array,
  roundId: string,
  from: string,
  to: string,
): Promise<string> {
  const iv = randomBytes(NONCE_BYTES);
  const sealed = await crypto.subtle.encrypt(
    {
      name: "AES-GCM",
      iv: iv as BufferSource,
      additionalData: associatedData(roundId, from, to) as BufferSource,
    },
    await aesKey(key, "encrypt"),
    plaintext as BufferSource,
  );
  return toBase64Url(concatBytes(iv, new Uint8Array(sealed)));
}

/** Decrypts a share payload, or returns undefined if it was modified or is bound to another sender, receiver or round. */
export async function decryptShare(
  key: Uint8Array,
  ciphertext: string,
  roundId: string,
  from: string,
  to: string,
): Promise<Uint8Array | undefined> {
  try {
    const bytes = fromBase64Url(ciphertext);
    if (bytes.length < NONCE_BYTES + 16) return undefined;
    const opened = await crypto.subtle.decrypt(
      {
        name: "AES-GCM",
        iv: bytes.subarray(0, NONCE_BYTES) as BufferSource,
        additionalData: associatedData(roundId, from, to) as BufferSource,
      },
      await aesKey(key, "decrypt"),
      bytes.subarray(NONCE_BYTES) as BufferSource,
    );
    return new Uint8Array(opened);
  } catch {
    return undefined;
  }
}
