// Minted ids: the tag is checked under the key given, also once an id has been found minted
// (the edge remembers ids that passed, per key).
import { describe, expect, it } from "vitest";
import { isMintedId, mintId } from "../../../../core/wire/ids.ts";

const KEY = "a-test-id-key-of-enough-length";
const OTHER = "another-test-id-key-long-enough";

describe("minted ids", () => {
  it("accepts the ids it minted, again and again, and only under their key", async () => {
    const id = await mintId("fed", KEY);
    expect(await isMintedId(id, KEY)).toBe(true);
    expect(await isMintedId(id, KEY)).toBe(true);
    expect(await isMintedId(id, OTHER)).toBe(false);
  });

  it("refuses a tampered id, and keeps refusing it", async () => {
    const id = await mintId("ten", KEY);
    const last = id.at(-1) === "0" ? "1" : "0";
    const forged = `${id.slice(0, -1)}${last}`;
    expect(await isMintedId(forged, KEY)).toBe(false);
    expect(await isMintedId(forged, KEY)).toBe(false);
    // A tenant id is no federation id: the prefix is tagged too.
    expect(await isMintedId(`fed${id.slice(3)}`, KEY)).toBe(false);
  });
});
