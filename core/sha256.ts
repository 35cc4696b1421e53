// SHA-256, the one hash of the project: token hashes, model file digests and the digests by which
// secure aggregation recognises a repeated message all come from here.

/** SHA-256 of some bytes, or of a string's UTF-8 bytes. */
export async function sha256(input: string | Uint8Array): Promise<Uint8Array> {
  const bytes = typeof input === "string" ? new TextEncoder().encode(input) : input;
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as BufferSource));
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/**
 * Bytes as lowercase hex, the form in which token hashes and model digests are stored and shown.
 * A table and one string: the edge hexes a hash or a tag on every request (docs/load.md).
 */
export function toHex(bytes: Uint8Array): string {
  let hex = "";
  for (let i = 0; i < bytes.length; i++) hex += HEX[bytes[i]!];
  return hex;
}

/** SHA-256 as 64 lowercase hex characters. */
export async function sha256Hex(input: string | Uint8Array): Promise<string> {
  return toHex(await sha256(input));
}

/** Equal strings in time that depends only on their lengths (digests have equal lengths). */
export function constantTimeEqual(a: string, b: string): boolean {
  let difference = a.length ^ b.length;
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) difference |= (a.charCodeAt(i) | 0) ^ (b.charCodeAt(i) | 0);
  return difference === 0;
}
