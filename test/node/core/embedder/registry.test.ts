import { describe, expect, it } from "vitest";
import { EmbedderMismatchError, functionEmbedder } from "../../../../core/embedder/embedder.ts";
import { hashingEmbedder } from "../../../../core/embedder/hashing.ts";
import { embedderId, type Windowing } from "../../../../core/embedder/id.ts";
import {
  embedderFromId,
  loadEmbedder,
  registerEmbedder,
  registeredEmbedders,
} from "../../../../core/embedder/registry.ts";

// A registered encoder whose weights hash to `loadedWeights`, as a real one would after loading.
const loadedWeights = "0123456789ab";
const loads: (Windowing | undefined)[] = [];
registerEmbedder("toy-encoder", async (windowing) => {
  loads.push(windowing);
  const id = embedderId({
    model: "toy-encoder",
    weights: loadedWeights,
    windowing: windowing ?? { tokens: 16, combine: "mean" },
  });
  return functionEmbedder(id, 2, async (texts) => texts.map((t) => [t.length, 1]));
});

describe("the embedder registry", () => {
  it("rebuilds a registered encoder from its exact id", async () => {
    const id = "toy-encoder@0123456789ab/w8-last";
    const embedder = await embedderFromId(id);
    expect(embedder.id).toBe(id);
    expect(loads.at(-1)).toEqual({ tokens: 8, combine: "last" });
    expect(await embedder.embed(["abc"])).toEqual([Float32Array.of(3, 1)]);
  });

  it("refuses an id whose weights hash differs from the loaded weights, naming both ids", async () => {
    const asked = "toy-encoder@ffffffffffff/w16-mean";
    const error = await embedderFromId(asked).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbedderMismatchError);
    expect((error as Error).message).toContain(asked);
    expect((error as Error).message).toContain("toy-encoder@0123456789ab/w16-mean");
  });

  it("refuses an id of a model nobody registered, and a name that is no id", async () => {
    await expect(embedderFromId("use-nothing@0123456789ab/w16-mean")).rejects.toThrow(
      /no embedder is registered/,
    );
    // Without weights and windowing a name is not an id: a federation must pin both.
    await expect(embedderFromId("toy-encoder")).rejects.toBeInstanceOf(EmbedderMismatchError);
  });

  it("loads a name with parts left to the encoder's defaults", async () => {
    expect((await loadEmbedder("toy-encoder")).id).toBe("toy-encoder@0123456789ab/w16-mean");
    expect((await loadEmbedder("toy-encoder/w4-last-weighted")).id).toBe(
      "toy-encoder@0123456789ab/w4-last-weighted",
    );
    expect(registeredEmbedders()).toEqual(["hashing", "toy-encoder"]);
  });

  it("keeps building hashing embedders from their ids, with nothing registered for them", async () => {
    const hashing = hashingEmbedder({ dimension: 64 });
    const rebuilt = await embedderFromId(hashing.id);
    expect(rebuilt.id).toBe(hashing.id);
    expect(await rebuilt.embed(["route me"])).toEqual(await hashing.embed(["route me"]));
    expect((await loadEmbedder("hashing")).id).toBe(hashingEmbedder().id);
    expect(() => registerEmbedder("hashing", async () => hashing)).toThrow(RangeError);
  });
});
