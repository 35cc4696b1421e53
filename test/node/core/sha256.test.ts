// The one SHA-256 helper: digests pinned to the FIPS 180-2 examples, and the constant-time comparison.
import { describe, expect, it } from "vitest";
import { constantTimeEqual, sha256, sha256Hex, toHex } from "../../../core/sha256.ts";

// FIPS 180-2, appendix B.1 ("abc"), and the digest of the empty message.
const ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

describe("sha256", () => {
  it("gives the FIPS 180-2 digests, as 32 bytes and as lowercase hex", async () => {
    expect(await sha256Hex("abc")).toBe(ABC);
    expect(await sha256Hex("")).toBe(EMPTY);
    const bytes = await sha256("abc");
    expect(bytes.length).toBe(32);
    expect(toHex(bytes)).toBe(ABC);
  });

  it("hashes a string as its UTF-8 bytes", async () => {
    expect(await sha256Hex(new Uint8Array([0x61, 0x62, 0x63]))).toBe(ABC);
    expect(await sha256Hex("é")).toBe(await sha256Hex(new Uint8Array([0xc3, 0xa9])));
  });

  it("writes every byte value as two lowercase hex digits", () => {
    const all = Uint8Array.from({ length: 256 }, (_, b) => b);
    expect(toHex(all)).toBe(Array.from(all, (b) => b.toString(16).padStart(2, "0")).join(""));
    expect(toHex(new Uint8Array(0))).toBe("");
  });

  it("hashes only the bytes a view covers", async () => {
    const buffer = new Uint8Array([0xff, 0x61, 0x62, 0x63, 0xff]);
    expect(await sha256Hex(buffer.subarray(1, 4))).toBe(ABC);
  });
});

describe("constantTimeEqual", () => {
  it("is true for equal digests and false for any difference, including length", () => {
    expect(constantTimeEqual(ABC, ABC)).toBe(true);
    expect(constantTimeEqual(ABC, `${ABC.slice(0, -1)}e`)).toBe(false);
    expect(constantTimeEqual(`0${ABC.slice(1)}`, ABC)).toBe(false);
    expect(constantTimeEqual(ABC, ABC.slice(0, -1))).toBe(false);
    expect(constantTimeEqual("", "")).toBe(true);
  });
});
