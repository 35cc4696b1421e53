// The AES-CTR mask generator: pinned keystream values, seeking, and chunked masking.
import { createCipheriv, randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { applyMaskStreams, importMaskSeed, keystream } from "../../../core/secagg/index.ts";

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
