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

/**
 * Secrets that matched their stored hash, kept in an object's memory so that a client's next
 * request costs no query and no hash (at a thousand clients a round, a share of the edge's CPU:
 * docs/load.md). Bounded: emptied when full. Whoever revokes a token must forget its secret.
 */
export class MatchedSecrets {
  readonly #secrets = new Map<string, string>();
  readonly #limit: number;

  constructor(limit = 10_000) {
    this.#limit = limit;
  }

  /** Whether `secret` is the one that matched for `id` (false when none did yet). */
  matches(id: string, secret: string): boolean {
    const known = this.#secrets.get(id);
    return known !== undefined && constantTimeEqual(known, secret);
  }

  remember(id: string, secret: string): void {
    if (this.#secrets.size >= this.#limit) this.#secrets.clear();
    this.#secrets.set(id, secret);
  }

  forget(id: string): void {
    this.#secrets.delete(id);
  }
}
