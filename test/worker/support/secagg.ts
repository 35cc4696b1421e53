// The parts of core/secagg the edge tests drive clients with, plus a seeded rounding source.
import { seededRandom } from "../../../core/random.ts";

export {
  type ClientState,
  decode,
  encode,
  fromBase64Url,
  type RoundConfig,
  selfMaskCommitment,
  startClient,
  sumEncoded,
  type UnmaskResponse,
} from "../../../core/secagg/index.ts";

/** Deterministic stochastic rounding, so the plain reference sum uses the very same encodings. */
export function seededEncodingRandom(seed: number) {
  return seededRandom(seed);
}
