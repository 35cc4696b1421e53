import { describe, expect, it } from "vitest";
import {
  EmbedderMismatchError,
  functionEmbedder,
  precomputedEmbedder,
} from "../../../../core/embedder/embedder.ts";
import { hashingEmbedder, hashingEmbedderFromId, hashString } from "../../../../core/embedder/hashing.ts";

describe("the hashing embedder", () => {
  const embedder = hashingEmbedder({ dimension: 256 });

  it("is deterministic, L2-normalised and of its stated dimension", async () => {
    const [a, b, c] = await embedder.embed([
      "Write a Python function",
      "Write a Python function",
      "Capital of France?",
    ]);
    expect(a).toEqual(b);
    expect(a?.length).toBe(256);
    const norm = Math.hypot(...(a as Float32Array));
    expect(norm).toBeCloseTo(1, 5);
    expect(a).not.toEqual(c);
  });

  it("maps similar texts closer than unrelated ones", async () => {
    const [x, y, z] = await embedder.embed([
      "sort a list of integers in python",
      "sort a list of strings in python",
      "who painted the mona lisa",
    ]);
    const dot = (p: Float32Array, q: Float32Array) => p.reduce((s, v, i) => s + v * (q[i] ?? 0), 0);
    expect(dot(x as Float32Array, y as Float32Array)).toBeGreaterThan(
      dot(x as Float32Array, z as Float32Array) + 0.3,
    );
  });

  it("names its settings in its id and embeds empty text as zeros", async () => {
    expect(embedder.id).toBe("hashing-v1:d256:w12:c34:cw0.5");
    const [empty] = await embedder.embed([""]);
    expect(Array.from(empty as Float32Array).every((v) => v === 0)).toBe(true);
  });

  it("is rebuilt exactly from its id, and refuses ids it does not own", async () => {
    const rebuilt = hashingEmbedderFromId(embedder.id);
    expect(rebuilt?.id).toBe(embedder.id);
    expect(await rebuilt?.embed(["same text"])).toEqual(await embedder.embed(["same text"]));
    expect(hashingEmbedderFromId(hashingEmbedder({ charNgrams: [] }).id)?.dimension).toBe(1024);
    expect(hashingEmbedderFromId("openai:text-embedding-3-small")).toBeNull();
    expect(hashingEmbedderFromId("hashing-v1:d1024:w12:c34:cw0.50")).toBeNull();
  });

  it("pins the hash function's values", () => {
    // Reference: FNV-1a 32-bit (0xe40c292c for "a") then murmur3's fmix32, computed in Python.
    expect(hashString("a")).toBe(444641715);
    expect(hashString("w1:hello")).toBe(4269883009);
  });
});

describe("embedder adapters", () => {
  it("checks the vectors a user function returns", async () => {
    const good = functionEmbedder("api:v1", 2, async (texts) => texts.map(() => [0.6, 0.8]));
    expect(await good.embed(["q"])).toEqual([Float32Array.from([0.6, 0.8])]);
    const wrong = functionEmbedder("api:v1", 3, async (texts) => texts.map(() => [1, 2]));
    await expect(wrong.embed(["q"])).rejects.toThrow(EmbedderMismatchError);
    const short = functionEmbedder("api:v1", 2, async () => []);
    await expect(short.embed(["q"])).rejects.toThrow(/0 vectors for 1 texts/);
  });

  it("serves precomputed vectors by query text and refuses unknown queries", async () => {
    const embedder = precomputedEmbedder("file:v1", 2, new Map([["hello", Float32Array.from([1, 0])]]));
    expect(await embedder.embed(["hello"])).toEqual([Float32Array.from([1, 0])]);
    await expect(embedder.embed(["bye"])).rejects.toThrow(/no precomputed vector/);
    expect(() => precomputedEmbedder("file:v1", 3, new Map([["x", new Float32Array(2)]]))).toThrow(
      EmbedderMismatchError,
    );
  });
});
