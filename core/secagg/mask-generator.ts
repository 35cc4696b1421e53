// The mask generator: AES-128-CTR keystream read as little-endian uint32 words, seekable by element
// so that large vectors are masked and unmasked chunk by chunk. Element i is word i % 4 of counter block i / 4.
import { fromBase64Url } from "./bytes.ts";

/** Bytes of a mask seed (an AES-128 key). */
export const MASK_SEED_BYTES = 16;
/** Elements generated per Web Crypto call: 4 MiB of keystream bounds memory per call. */
export const KEYSTREAM_CHUNK = 1 << 20;
/** Elements masked per pass over the streams (measured fastest on Node 22 among 2^16..2^20). */
export const MASKING_CHUNK = 1 << 20;

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

/** Mask words for elements [offset, offset + length) of the stream of `key` (at most KEYSTREAM_CHUNK per call is cheapest). */
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

/**
 * Adds (or subtracts) the streams' words for elements [offset, offset + target.length) into
 * target, mod 2^32, in place. Keystream generation (off the main thread in Web Crypto) is
 * pipelined with the additions: `inFlight` keystreams are requested ahead while the main
 * thread adds the one that arrived, with no per-element allocation.
 */
export async function applyMaskStreams(
  target: Uint32Array,
  offset: number,
  streams: readonly MaskStream[],
  inFlight = 1,
  chunk = MASKING_CHUNK,
): Promise<Uint32Array> {
  for (let start = 0; start < target.length; start += chunk) {
    const piece = target.subarray(start, Math.min(target.length, start + chunk));
    // Int32 views with |0 keep V8 in 32-bit integer arithmetic (Uint32 values above 2^31 become doubles).
    const into = new Int32Array(piece.buffer, piece.byteOffset, piece.length);
    const pending: (Promise<Uint32Array> | undefined)[] = [];
    let next = 0;
    const request = (): void => {
      if (next < streams.length) {
        pending.push(keystream(streams[next]!.key, offset + start, piece.length));
        next++;
      }
    };
    for (let i = 0; i < inFlight; i++) request();
    for (let s = 0; s < streams.length; s++) {
      const stream = await pending[s]!;
      pending[s] = undefined;
      request();
      const words = new Int32Array(stream.buffer, stream.byteOffset, stream.length);
      if (streams[s]!.sign === 1) addWords(into, words);
      else subtractWords(into, words);
    }
  }
  return target;
}

function addWords(target: Int32Array, words: Int32Array): void {
  const n = target.length;
  for (let i = 0; i < n; i++) target[i] = (target[i]! + words[i]!) | 0;
}

function subtractWords(target: Int32Array, words: Int32Array): void {
  const n = target.length;
  for (let i = 0; i < n; i++) target[i] = (target[i]! - words[i]!) | 0;
}
