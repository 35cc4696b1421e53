// The AES-CTR mask generator: pinned keystream values, seeking, and chunked masking.
import { createCipheriv, randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { seededRandom } from "../../../../core/random.ts";
import {
  applyMaskStreams,
  importMaskSeed,
  keystream,
  type MaskStream,
} from "../../../../core/secagg/index.ts";
import { addStreamGroup } from "../../../../core/secagg/mask-arithmetic.ts";
import { MASKING_CHUNK } from "../../../../core/secagg/mask-generator.ts";

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, "hex"));
const words = (text: string): number[] => Array.from(new Uint32Array(hex(text).buffer));

describe("mask generator keystream", () => {
  it("matches AES-128-CTR from OpenSSL at the start of the stream", async () => {
    // head -c 64 /dev/zero | openssl enc -aes-128-ctr -K 000102030405060708090a0b0c0d0e0f \
    //   -iv 00000000000000000000000000000000 | xxd -p -c 64
    const expected =
      "c6a13b37878f5b826f4f8162a1c8d8797346139595c0b41e497bbde365f42d0a" +
      "49d68753999ba68ce3897a686081b09db9ad2b2e346ac238505d365e9cb7fc56";
    const key = await importMaskSeed(hex("000102030405060708090a0b0c0d0e0f"));
    expect(Array.from(await keystream(key, 0, 16))).toEqual(words(expected));
    expect(Array.from(await keystream(key, 0, 1))).toEqual([0x373ba1c6]);
  });

  it("seeks to element 4,000,000 (counter block 1,000,000) without generating what lies before", async () => {
    // head -c 32 /dev/zero | openssl enc -aes-128-ctr -K 000102030405060708090a0b0c0d0e0f \
    //   -iv 000000000000000000000000000f4240 | xxd -p -c 64
    const expected = "d667fcb708c382f5748230c7abfb8563e57730894eb3e54d2d282aa33200f1b4";
    const key = await importMaskSeed(hex("000102030405060708090a0b0c0d0e0f"));
    expect(Array.from(await keystream(key, 4_000_000, 8))).toEqual(words(expected));
    // An unaligned start takes the right word of the block.
    expect(Array.from(await keystream(key, 4_000_003, 2))).toEqual(words(expected).slice(3, 5));
  });

  it("agrees with node:crypto createCipheriv('aes-128-ctr') at random offsets", async () => {
    for (let trial = 0; trial < 20; trial++) {
      const seed = new Uint8Array(randomBytes(16));
      const offset = randomBytes(3).readUIntBE(0, 3);
      const length = 1 + (randomBytes(1)[0] ?? 0);
      const block = Math.floor(offset / 4);
      const iv = Buffer.alloc(16);
      iv.writeUInt32BE(block, 12);
      const skip = offset % 4;
      const bytes = createCipheriv("aes-128-ctr", seed, iv).update(Buffer.alloc((skip + length) * 4));
      const reference = new Uint32Array(bytes.buffer, bytes.byteOffset, skip + length).slice(skip);
      const key = await importMaskSeed(seed);
      expect(Array.from(await keystream(key, offset, length))).toEqual(Array.from(reference));
    }
  });

  it("masks a vector in chunks exactly as in one piece", async () => {
    const key = await importMaskSeed(new Uint8Array(randomBytes(16)));
    const other = await importMaskSeed(new Uint8Array(randomBytes(16)));
    const streams = [
      { key, sign: 1 as const },
      { key: other, sign: -1 as const },
    ];
    const whole = await applyMaskStreams(new Uint32Array(1000).fill(7), 0, streams);
    const chunked = new Uint32Array(1000).fill(7);
    for (const [start, end] of [
      [0, 333],
      [333, 334],
      [334, 1000],
    ] as const)
      await applyMaskStreams(chunked.subarray(start, end), start, streams);
    expect(Array.from(chunked)).toEqual(Array.from(whole));
    // Adding then subtracting the same stream gives the input back: masks cancel mod 2^32.
    const back = await applyMaskStreams(whole, 0, [
      { key, sign: -1 },
      { key: other, sign: 1 },
    ]);
    expect(back.every((v) => v === 7)).toBe(true);
  });
});

/** Seeded pseudo-random 32-bit words (any bit pattern, so sums wrap often). */
function randomWords(length: number, seed: number): Int32Array {
  const random = seededRandom(seed);
  return Int32Array.from({ length }, () => Math.floor(random() * 4294967296) | 0);
}

/** The plain reference: each stream's keystream added or subtracted in turn, element by element. */
async function referenceMask(
  input: Uint32Array,
  offset: number,
  streams: readonly MaskStream[],
): Promise<Uint32Array> {
  const out = input.slice();
  for (const { key, sign } of streams) {
    const words = await keystream(key, offset, input.length);
    for (let i = 0; i < out.length; i++) out[i] = (out[i]! + sign * words[i]!) >>> 0;
  }
  return out;
}

const seedOf = (i: number): Uint8Array => Uint8Array.from({ length: 16 }, (_, j) => (31 * i + j) & 0xff);

describe("masking", () => {
  it("adds or subtracts 1 to 4 streams in one pass mod 2^32 exactly as the plain sum", () => {
    for (const length of [1, 3, 1001]) {
      for (let count = 1; count <= 4; count++) {
        for (const sign of [1, -1] as const) {
          const target = randomWords(length, length + count);
          const words = Array.from({ length: count }, (_, j) => randomWords(length, 100 * count + j));
          const expected = target.map((t, i) => words.reduce((sum, w) => (sum + sign * w[i]!) | 0, t));
          addStreamGroup(target, words, sign);
          expect(Array.from(target)).toEqual(Array.from(expected));
        }
      }
    }
  });

  it("refuses a pass of more than 4 streams or a stream shorter than the target", () => {
    const target = new Int32Array(8);
    const five = Array.from({ length: 5 }, () => new Int32Array(8));
    expect(() => addStreamGroup(target, five, 1)).toThrow(RangeError);
    expect(() => addStreamGroup(target, [new Int32Array(7)], -1)).toThrow(RangeError);
  });

  it("masks with any streams, signs, offsets, chunk sizes and calls in flight exactly as stream by stream (property)", async () => {
    const keys = await Promise.all(Array.from({ length: 12 }, (_, i) => importMaskSeed(seedOf(i))));
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          length: fc.integer({ min: 1, max: 3000 }),
          offset: fc.integer({ min: 0, max: 1 << 22 }),
          signs: fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }),
          chunk: fc.integer({ min: 1, max: 4096 }),
          inFlight: fc.integer({ min: 1, max: 20 }),
        }),
        async ({ length, offset, signs, chunk, inFlight }) => {
          const streams: MaskStream[] = signs.map((plus, i) => ({ key: keys[i]!, sign: plus ? 1 : -1 }));
          const input = new Uint32Array(randomWords(length, length + offset).buffer);
          const expected = await referenceMask(input, offset, streams);
          const masked = await applyMaskStreams(input.slice(), offset, streams, { chunk, inFlight });
          expect(Array.from(masked)).toEqual(Array.from(expected));
        },
      ),
      { numRuns: 60, seed: 20260 },
    );
  });

  it("masks a vector of several default chunks exactly as stream by stream", async () => {
    const streams: MaskStream[] = await Promise.all(
      ([1, -1, -1, 1, -1, 1, 1, 1, -1, -1, 1] as const).map(async (sign, i) => ({
        key: await importMaskSeed(seedOf(i)),
        sign,
      })),
    );
    const input = new Uint32Array(randomWords(2 * MASKING_CHUNK + 3, 3).buffer);
    const expected = await referenceMask(input, 5, streams);
    expect(Array.from(await applyMaskStreams(input.slice(), 5, streams))).toEqual(Array.from(expected));
  });

  it("refuses invalid offsets, chunk sizes and calls in flight", async () => {
    const streams: MaskStream[] = [{ key: await importMaskSeed(seedOf(0)), sign: 1 }];
    const v = new Uint32Array(4);
    await expect(applyMaskStreams(v, -1, streams)).rejects.toThrow(RangeError);
    await expect(applyMaskStreams(v, 0, streams, { chunk: 0 })).rejects.toThrow(RangeError);
    await expect(applyMaskStreams(v, 0, streams, { inFlight: 1.5 })).rejects.toThrow(RangeError);
  });
});
