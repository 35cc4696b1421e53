// Secrets for bearer tokens: random from crypto.getRandomValues, stored as SHA-256
// hashes, compared in constant time.
import { constantTimeEqual, sha256Hex } from "../core/sha256.ts";

/** 32 random bytes in base64url (43 characters): the secret part of a token. */
export function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Whether a presented secret matches a stored hash. */
export async function secretMatches(secret: string, storedHash: string): Promise<boolean> {
  return constantTimeEqual(await sha256Hex(secret), storedHash);
}
