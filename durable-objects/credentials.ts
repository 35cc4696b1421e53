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

/** An unknown id is hashed against this, so timing does not tell which ids exist. */
const NO_HASH = "0".repeat(64);

/** What an object stores of a token when asked: its hash, and whether it is still good. */
export interface StoredToken {
  tokenHash: string;
  active: boolean;
}

/**
 * Checks client secrets, and keeps the ones that matched in the object's memory so that a client's
 * next request costs no query and no hash (at a thousand clients a round, a share of the edge's
 * CPU: docs/load.md). Bounded: emptied when full. Whoever revokes a token must forget its secret.
 */
export class MatchedSecrets {
  readonly #secrets = new Map<string, string>();
  readonly #limit: number;

  constructor(limit = 10_000) {
    this.#limit = limit;
  }

  /**
   * Whether `secret` is id's: a secret that matched before, else its hash against what `stored`
   * returns. `stored` is asked after hashing, with no wait between its answer and remembering the
   * secret, so that a revocation cannot come in between and leave a revoked secret remembered.
   */
  async verify(id: string, secret: string, stored: () => StoredToken | undefined): Promise<boolean> {
    const known = this.#secrets.get(id);
    if (known !== undefined && constantTimeEqual(known, secret)) return true;
    const presented = await sha256Hex(secret);
    const token = stored();
    if (!constantTimeEqual(presented, token?.tokenHash ?? NO_HASH) || !token?.active) return false;
    if (this.#secrets.size >= this.#limit) this.#secrets.clear();
    this.#secrets.set(id, secret);
    return true;
  }

  forget(id: string): void {
    this.#secrets.delete(id);
  }
}
