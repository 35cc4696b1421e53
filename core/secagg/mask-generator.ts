// The mask generator: AES-128-CTR keystream read as little-endian uint32 words, seekable by element
// so that large vectors are masked and unmasked chunk by chunk. Element i is word i % 4 of counter block i / 4.
import { fromBase64Url } from "./bytes.ts";
import { addStreamGroup, STREAMS_PER_PASS } from "./mask-arithmetic.ts";

/** Bytes of a mask seed (an AES-128 key). */
export const MASK_SEED_BYTES = 16;
/**
 * Elements per keystream call while masking (512 KiB): the least CPU per keystream byte measured
 * among 64 KiB..4 MiB calls, and small enough that a pass over four streams stays in cache.
 */
export const MASKING_CHUNK = 1 << 17;
/** Keystream calls kept in flight while masking: enough to keep a second core busy (measured 2 to 8). */
export const MASKING_IN_FLIGHT = 4;

// Masks are defined on little-endian words; refuse to run where a Uint32Array view would disagree.
if (new Uint8Array(Uint32Array.of(1).buffer)[0] !== 1)
  throw new Error("secure aggregation needs a little-endian runtime");

let zeros = new Uint8Array(0);
function zeroBytes(length: number): Uint8Array {
  if (zeros.length < length) zeros = new Uint8Array(Math.max(length, 1 << 16));
  return zeros.subarray(0, length);
}

/** A mask seed as an AES-CTR key. */
export function importMaskSeed(seed: Uint8Array | string): Promise<CryptoKey> {
  const bytes = typeof seed === "string" ? fromBase64Url(seed) : seed;
  if (bytes.length !== MASK_SEED_BYTES) throw new RangeError(`mask seed must be ${MASK_SEED_BYTES} bytes`);
  return crypto.subtle.importKey("raw", bytes as BufferSource, "AES-CTR", false, ["encrypt"]);
}

/** The 16-byte initial counter block for a block index: zero nonce, 64-bit big-endian counter. */
export function counterBlock(blockIndex: number): Uint8Array {
  const block = new Uint8Array(16);
  const view = new DataView(block.buffer);
  view.setUint32(8, Math.floor(blockIndex / 4294967296));
  view.setUint32(12, blockIndex >>> 0);
  return block;
}

/** Mask words for elements [offset, offset + length) of the stream of `key`, in one Web Crypto call. */
export async function keystream(key: CryptoKey, offset: number, length: number): Promise<Uint32Array> {
  if (!(Number.isInteger(offset) && offset >= 0 && Number.isInteger(length) && length >= 0))
    throw new RangeError(`invalid keystream range ${offset} + ${length}`);
  const skip = offset % 4;
  const blocks = Math.ceil((skip + length) / 4);
  const stream = await crypto.subtle.encrypt(
    { name: "AES-CTR", counter: counterBlock(Math.floor(offset / 4)) as BufferSource, length: 64 },
    key,
    zeroBytes(blocks * 16) as BufferSource,
  );
  return new Uint32Array(stream, skip * 4, length);
}

/** One mask stream to add (+1) or subtract (-1). */
export interface MaskStream {
  key: CryptoKey;
  sign: 1 | -1;
}

/** How applyMaskStreams splits its work; the defaults are the fastest measured (see MASKING_CHUNK). */
export interface MaskingOptions {
  /** Elements per Web Crypto call: the vector is done chunk by chunk, each stream once per chunk. */
  chunk?: number;
  /** Keystream calls kept in flight ahead of the additions; memory is (inFlight + 4) * chunk * 4 bytes. */
  inFlight?: number;
}

/**
 * Adds (or subtracts) the streams' words for elements [offset, offset + target.length) into
 * target, mod 2^32, in place. Keystream generation (off the main thread in Web Crypto: Node runs
 * it on the libuv pool, so on a second core) is overlapped with the additions (on the main
 * thread): keystream calls are issued in (chunk, stream) order and kept `inFlight` ahead of the
 * one being added, so while chunk c is being added the keystreams of the next streams, and of
 * chunk c + 1, are being generated. Streams of the same sign are added up to four per pass (see
 * mask-arithmetic.ts). Memory beyond the target: inFlight + 4 chunks of keystream, whatever the
 * number of streams or the length of the vector.
 */
export async function applyMaskStreams(
  target: Uint32Array,
  offset: number,
  streams: readonly MaskStream[],
  options: MaskingOptions = {},
): Promise<Uint32Array> {
  const chunk = options.chunk ?? MASKING_CHUNK;
  const inFlight = options.inFlight ?? MASKING_IN_FLIGHT;
  if (!(Number.isInteger(offset) && offset >= 0)) throw new RangeError(`invalid offset ${offset}`);
  if (!(Number.isInteger(chunk) && chunk > 0)) throw new RangeError(`invalid chunk ${chunk}`);
  if (!(Number.isInteger(inFlight) && inFlight > 0)) throw new RangeError(`invalid inFlight ${inFlight}`);
  if (streams.length === 0 || target.length === 0) return target;
  // Same-sign streams next to each other, so that they share passes.
  const ordered = [...streams.filter((s) => s.sign === 1), ...streams.filter((s) => s.sign === -1)];
  const k = ordered.length;
  const chunks = Math.ceil(target.length / chunk);
  const calls = chunks * k;
  const ring: (Promise<Uint32Array> | undefined)[] = new Array(inFlight);
  let requested = 0;
  const request = (): void => {
    if (requested >= calls) return;
    const c = Math.floor(requested / k);
    const start = c * chunk;
    const pending = keystream(
      ordered[requested - c * k]!.key,
      offset + start,
      Math.min(chunk, target.length - start),
    );
    // Marked handled: if one call fails, the others still in flight must not crash the process.
    pending.catch(() => undefined);
    ring[requested % inFlight] = pending;
    requested++;
  };
  while (requested < Math.min(inFlight, calls)) request();
  const into = new Int32Array(target.buffer, target.byteOffset, target.length);
  const group: Int32Array[] = [];
  let consumed = 0;
  for (let c = 0; c < chunks; c++) {
    const piece = into.subarray(c * chunk, Math.min(target.length, (c + 1) * chunk));
    for (let s = 0; s < k; ) {
      const sign = ordered[s]!.sign;
      group.length = 0;
      while (s < k && group.length < STREAMS_PER_PASS && ordered[s]!.sign === sign) {
        const slot = consumed % inFlight;
        const words = await ring[slot]!;
        ring[slot] = undefined;
        consumed++;
        request();
        group.push(new Int32Array(words.buffer, words.byteOffset, words.length));
        s++;
      }
      addStreamGroup(piece, group, sign);
    }
  }
  return target;
}
