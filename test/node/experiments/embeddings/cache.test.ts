import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { functionEmbedder } from "../../../../core/embedder/embedder.ts";
import { hashingEmbedder } from "../../../../core/embedder/hashing.ts";
import {
  cachedEmbedder,
  embeddingCacheRoot,
  textHash,
  vectorPath,
} from "../../../../experiments/embeddings/cache.ts";
import { fillCache } from "../../../../experiments/embeddings/fill.ts";
import { embedInWorkers } from "../../../../experiments/embeddings/pool.ts";

/** An embedder that counts the texts it is asked for. */
function countingEmbedder() {
  const asked: string[] = [];
  const embedder = functionEmbedder("counting@0123456789ab/w8-mean", 3, async (texts) => {
    asked.push(...texts);
    return texts.map((t) => [t.length, t.charCodeAt(0) || 0, 0.5]);
  });
  return { embedder, asked };
}

describe("the embedding cache", () => {
  it("finds the root under XDG_CACHE_HOME, else under ~/.cache", () => {
    expect(embeddingCacheRoot({ XDG_CACHE_HOME: "/var/cache/me" })).toBe(
      "/var/cache/me/fedrouter/embeddings",
    );
    expect(embeddingCacheRoot({})).toBe(join(homedir(), ".cache", "fedrouter", "embeddings"));
  });

  it("writes each vector to a file named by the embedder id and the text's SHA-256, and reads it back", async () => {
    const root = mkdtempSync(join(tmpdir(), "fedrouter-cache-"));
    const { embedder, asked } = countingEmbedder();
    const first = await cachedEmbedder(embedder, { root }).embed(["alpha", "beta", "alpha"]);
    expect(asked).toEqual(["alpha", "beta"]);
    // SHA-256("alpha"), as `printf alpha | sha256sum` prints it.
    expect(textHash("alpha")).toBe("8ed3f6ad685b959ead7022518e1af76cd816f8e8ec7ccdda1ed4018e8f2223f8");
    const file = vectorPath(root, embedder.id, "alpha");
    expect(file).toBe(join(root, "counting%400123456789ab%2Fw8-mean", "8e", `${textHash("alpha")}.f32`));
    expect(new Float32Array(new Uint8Array(readFileSync(file)).buffer)).toEqual(Float32Array.of(5, 97, 0.5));

    const again = countingEmbedder();
    const second = await cachedEmbedder(again.embedder, { root }).embed(["beta", "alpha"]);
    expect(again.asked).toEqual([]);
    expect(second).toEqual([first[1], first[0]]);
  });

  it("recomputes a vector whose file is cut short, and reports progress over the missing texts", async () => {
    const root = mkdtempSync(join(tmpdir(), "fedrouter-cache-"));
    const { embedder, asked } = countingEmbedder();
    await cachedEmbedder(embedder, { root }).embed(["one", "two"]);
    writeFileSync(vectorPath(root, embedder.id, "two"), new Uint8Array(5));
    const progress: [number, number][] = [];
    const [, two] = await cachedEmbedder(embedder, { root, progress: (d, t) => progress.push([d, t]) }).embed(
      ["one", "two"],
    );
    expect(asked).toEqual(["one", "two", "two"]);
    expect(two).toEqual(Float32Array.of(3, 116, 0.5));
    expect(progress).toEqual([
      [0, 1],
      [1, 1],
    ]);
    expect(
      readdirSync(join(root, encodeURIComponent(embedder.id)), { recursive: true }).filter((f) =>
        String(f).endsWith(".tmp"),
      ),
    ).toEqual([]);
  });
});

describe("embedInWorkers", () => {
  it("computes in worker threads the vectors the embedder computes here", async () => {
    const hashing = hashingEmbedder({ dimension: 32 });
    const texts = Array.from({ length: 40 }, (_, i) => `query number ${i} about ${i % 3 ? "code" : "maths"}`);
    const received = new Map<string, Float32Array>();
    await embedInWorkers(hashing.id, 2)(texts, async (batch, vectors) => {
      for (const [i, text] of batch.entries()) received.set(text, vectors[i] as Float32Array);
    });
    expect(texts.map((t) => received.get(t))).toEqual(await hashing.embed(texts));
  });
});

describe("fillCache", () => {
  it("embeds in one pass what any of several embedders lacks, and then nothing", async () => {
    const root = mkdtempSync(join(tmpdir(), "fedrouter-cache-"));
    const small = hashingEmbedder({ dimension: 16 });
    const large = hashingEmbedder({ dimension: 48 });
    await cachedEmbedder(small, { root }).embed(["kept"]);
    const texts = ["kept", "new one", "new two", "new one"];
    expect(await fillCache([small, large], texts, { root, workers: 1 })).toBe(3);
    expect(await fillCache([small, large], texts, { root, workers: 1 })).toBe(0);
    const { embedder: never, asked } = countingEmbedder();
    const fromDisk = await cachedEmbedder({ ...never, id: large.id, dimension: 48 }, { root }).embed(texts);
    expect(asked).toEqual([]);
    expect(fromDisk).toEqual(await large.embed(texts));
  });
});
