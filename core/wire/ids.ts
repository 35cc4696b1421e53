// How identifiers are made and named, by the worker and the Durable Objects alike: random ids with
// a kind prefix, a round's Durable Object name and its secure-aggregation round id.
import { toHex } from "../sha256.ts";

/** A random identifier such as `fed_3f9c...`: the prefix and `bytes` random bytes in hex. */
export function randomId(prefix: string, bytes: number): string {
  return `${prefix}_${toHex(crypto.getRandomValues(new Uint8Array(bytes)))}`;
}

/** Durable Object names: one Federation per federation id, one Round per (federation, round). */
export function roundObjectName(federationId: string, round: number): string {
  return `${federationId}/round/${round}`;
}

/** The secure-aggregation round id, bound into every message and mask of the round. */
export function secureRoundId(federationId: string, round: number): string {
  return `${federationId}/${round}`;
}
