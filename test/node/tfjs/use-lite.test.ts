// The USE lite embedder on its real weights (read from node_modules): the graph reads 128 tokens,
// the windows make the rest count.
import { describe, expect, it } from "vitest";
import { parseEmbedderId } from "../../../core/embedder/id.ts";
import { sentencePieceTokeniser } from "../../../tfjs/sentencepiece.ts";
import { forgetUseLiteWindows, loadUseLite, USE_LITE_DIMENSION } from "../../../tfjs/use-lite.ts";
import { useLiteAssetsFromPackage } from "../../../tfjs/use-lite-assets.ts";

const assets = useLiteAssetsFromPackage();
const words = ["river", "market", "green", "theory", "engine", "lamp", "story", "window"];
/** 60 sentences of four words: well over two windows of 128 tokens. */
const long = Array.from({ length: 60 }, (_, i) => `the ${words[i % 8]} and ${words[(i * 3) % 8]}.`).join(" ");
const changedAtEnd = `${long.slice(0, -1)} and a volcano erupted.`;

const distance = (a: Float32Array, b: Float32Array) => Math.hypot(...a.map((x, i) => x - (b[i] as number)));

describe("use-lite", () => {
  it("changes the vector when only tokens after the 128th change, whether the windows are meaned or the last taken", async () => {
    const tokeniser = sentencePieceTokeniser((await assets).vocabulary);
    const before = tokeniser.encode(long);
    const after = tokeniser.encode(changedAtEnd);
    const firstDifference = before.findIndex((id, i) => id !== after[i]);
    expect(firstDifference).toBeGreaterThan(128);
    for (const combine of ["mean", "last"] as const) {
      const embedder = await loadUseLite({ assets, windowing: { tokens: 128, combine } });
      const [a, b] = await embedder.embed([long, changedAtEnd]);
      expect(distance(a as Float32Array, b as Float32Array)).toBeGreaterThan(1e-3);
    }
  });

  it("names the model, the weights' hash and the windowing in its id, and gives unit vectors", async () => {
    const embedder = await loadUseLite({ assets, windowing: { tokens: 64, combine: "last-weighted" } });
    expect(parseEmbedderId(embedder.id)).toMatchObject({
      model: "use-lite",
      weights: expect.stringMatching(/^[0-9a-f]{12}$/),
      windowing: { tokens: 64, combine: "last-weighted" },
    });
    const [short, empty] = await embedder.embed(["Which planet is largest?", ""]);
    expect(short).toHaveLength(USE_LITE_DIMENSION);
    expect(Math.hypot(...(short as Float32Array))).toBeCloseTo(1, 4);
    expect(Math.hypot(...(empty as Float32Array))).toBeCloseTo(1, 4);
  });

  it("embeds a text alike alone and in a batch of mixed lengths sharing windows", async () => {
    const texts = ["What is the capital of France?", long, "Translate 'cat' into German.", changedAtEnd];
    const batch = await (await loadUseLite({ assets, windowsPerRun: 3 })).embed(texts);
    // Forgotten, so that no window vector of the batch is reused.
    forgetUseLiteWindows();
    const single = await loadUseLite({ assets });
    for (const [i, text] of texts.entries()) {
      const [alone] = await single.embed([text]);
      expect(distance(alone as Float32Array, batch[i] as Float32Array)).toBeLessThan(1e-4);
    }
  });

  it("refuses windows longer than the graph reads", async () => {
    await expect(loadUseLite({ assets, windowing: { tokens: 129, combine: "mean" } })).rejects.toThrow(
      RangeError,
    );
  });
});
