// The commitment to a client's self-mask seed b_u, sent in advertise_keys before any share exists,
// so the server can tell the seed rebuilt from t revealed shares from the one the client chose.
import { sha256 } from "../sha256.ts";
import { concatBytes, toBase64Url, utf8 } from "./bytes.ts";

/** Bytes of a commitment (a SHA-256 digest). */
export const COMMITMENT_BYTES = 32;

/**
 * H(round id, client id, b_u) as base64url. Binding because SHA-256 resists collisions (a wrong
 * share yields another seed, hence another digest); hiding because b_u is 16 uniformly random
 * bytes, too many to guess. The ids stop one client from copying another's commitment.
 */
export async function selfMaskCommitment(
  roundId: string,
  clientId: string,
  seed: Uint8Array,
): Promise<string> {
  const context = utf8(JSON.stringify(["fedrouter secagg self-mask commitment v1", roundId, clientId]));
  return toBase64Url(await sha256(concatBytes(context, seed)));
}
