// An ONNX encoder registered under `onnx:<name>`: lazy, loaded once per windowing, retried after a failure.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bertTokenizerJson } from "../../../../core/embedder/bert-tokenizer-json.ts";
import { syntheticEncoderModel, syntheticEncoderWeights } from "../../../../core/onnx/synthetic-encoder.ts";
import { seededRandom } from "../../../../core/random.ts";
import { onnxEmbedderRegistration } from "../../../../ort/embedder/registration.ts";
import { loadOrtRuntime, type OrtRuntime } from "../../../../ort/ort-runtime.ts";

const tokenizer = bertTokenizerJson(["the", "cat", "sat", "on", "mat"]);
const model = syntheticEncoderModel(
  syntheticEncoderWeights({ vocabulary: 10, hidden: 4, positions: 32, types: 2, layers: 1 }, seededRandom(3)),
);

let root: string;
let runtime: OrtRuntime;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "onnx-registration-"));
  runtime = await loadOrtRuntime();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function writeEncoder(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, "model.onnx"), model);
  await writeFile(join(folder, "tokenizer.json"), JSON.stringify(tokenizer));
  await writeFile(join(folder, "sentence_bert_config.json"), JSON.stringify({ max_seq_length: 24 }));
}

describe("an ONNX encoder's registration", () => {
  it("names the model after the folder without reading it, and loads it when first asked", async () => {
    const folder = join(root, "tiny-bert");
    const { model: name, factory } = onnxEmbedderRegistration({ source: { folder }, runtime });
    expect(name).toBe("onnx:tiny-bert");
    // The folder is not there yet: the first call fails, and a later one, once it is, succeeds.
    await expect(factory()).rejects.toThrow(/no model\.onnx/);
    await writeEncoder(folder);
    const embedder = await factory();
    expect(embedder.id).toMatch(/^onnx:tiny-bert@[0-9a-f]{12}\/w24-mean$/);
  });

  it("builds each windowing's embedder once, sharing the weights between windowings", async () => {
    const folder = join(root, "shared");
    await writeEncoder(folder);
    const { factory } = onnxEmbedderRegistration({
      source: { folder },
      name: "tiny-bert",
      windowing: { combine: "last" },
      runtime,
    });
    const first = await factory();
    expect(first.windowing).toEqual({ tokens: 24, combine: "last" });
    expect(await factory()).toBe(first);
    expect(await factory({ tokens: 24, combine: "last" })).toBe(first);
    const other = await factory({ tokens: 16, combine: "last-weighted" });
    expect(other).not.toBe(first);
    expect(other.id).toBe(`onnx:tiny-bert@${first.weights}/w16-last-weighted`);
  });
});
