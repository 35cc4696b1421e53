// How identifiers are made and named, by the worker and the Durable Objects alike: random ids with
// a kind prefix, ids the edge mints with a keyed tag, a round's Durable Object name and its
// secure-aggregation round id.
import { constantTimeEqual, toHex } from "../sha256.ts";

/** A random identifier such as `cli_3f9c...`: the prefix and `bytes` random bytes in hex. */
export function randomId(prefix: string, bytes: number): string {
  return `${prefix}_${toHex(crypto.getRandomValues(new Uint8Array(bytes)))}`;
}

/** Random bytes of a minted id, and bytes of the tag that follows them. */
const MINTED_RANDOM_BYTES = 8;
const TAG_BYTES = 8;

/** The shortest ID_KEY accepted: a guessable key would let anyone mint ids. */
const MIN_KEY_LENGTH = 16;

const hmacKeys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  if (secret.length < MIN_KEY_LENGTH)
    throw new Error(`ID_KEY must be set to a secret of at least ${MIN_KEY_LENGTH} characters`);
  let key = hmacKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(secret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign"],
    );
    hmacKeys.set(secret, key);
  }
  return key;
}

/** The tag of an id's prefix and random part: HMAC-SHA-256 under the edge's ID_KEY, truncated. */
async function tagOf(body: string, secret: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), new TextEncoder().encode(body));
  return toHex(new Uint8Array(mac, 0, TAG_BYTES));
}

/**
 * A tenant or federation id the edge mints: `ten_`/`fed_`, 8 random bytes, then a tag of both
 * under `secret` (all in hex). The worker checks the tag before it names a Durable Object, so an id
 * the edge never minted creates no object. The prefix is tagged too: a tenant id is no federation id.
 */
export async function mintId(prefix: "ten" | "fed", secret: string): Promise<string> {
  const body = randomId(prefix, MINTED_RANDOM_BYTES);
  return `${body}${await tagOf(body, secret)}`;
}

/**
 * Ids found minted, per key. The verdict for an (id, key) pair never changes, and the edge checks
 * the same few ids on every request of a federation (one HMAC each, docs/load.md). Only ids that
 * passed are kept, so made-up ids cannot fill it; bounded all the same.
 */
const mintedIds = new Map<string, Set<string>>();
const MAX_REMEMBERED_IDS = 10_000;

/** Whether a well-formed tenant or federation id carries the tag the edge gives the ids it mints. */
export async function isMintedId(id: string, secret: string): Promise<boolean> {
  const remembered = mintedIds.get(secret);
  if (remembered?.has(id)) return true;
  const body = id.slice(0, -TAG_BYTES * 2);
  const minted = constantTimeEqual(id.slice(-TAG_BYTES * 2), await tagOf(body, secret));
  if (minted) {
    const ids = remembered ?? new Set<string>();
    if (ids.size >= MAX_REMEMBERED_IDS) ids.clear();
    ids.add(id);
    mintedIds.set(secret, ids);
  }
  return minted;
}

/**
 * Durable Object names: one Federation per federation id, one Round per (federation, round), or
 * per (federation, round, shard) when the round is sharded.
 */
export function roundObjectName(federationId: string, round: number, shard?: number | null): string {
  const name = `${federationId}/round/${round}`;
  return shard === undefined || shard === null ? name : `${name}/shard/${shard}`;
}

/**
 * The secure-aggregation round id, bound into every message and mask of the round: each shard
 * has its own, so no message of one shard is valid in another.
 */
export function secureRoundId(federationId: string, round: number, shard?: number | null): string {
  const id = `${federationId}/${round}`;
  return shard === undefined || shard === null ? id : `${id}/shard/${shard}`;
}
