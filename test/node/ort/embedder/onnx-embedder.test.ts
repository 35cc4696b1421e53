// The ONNX embedder on a BERT-shaped graph built here and a WordPiece tokenizer.json in BERT's
// format: its vectors are the hand-computed mean-pooled, normalised token states, windows reach a
// long text's end, batches change nothing, and the id follows the weights.
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bertTokenizerJson } from "../../../../core/embedder/bert-tokenizer-json.ts";
import { EmbedderMismatchError } from "../../../../core/embedder/embedder.ts";
import type { Windowing } from "../../../../core/embedder/id.ts";
import { tokenWindows, windowWeight } from "../../../../core/embedder/windows.ts";
import {
  type SyntheticEncoderWeights,
  syntheticEncoderModel,
  syntheticEncoderWeights,
} from "../../../../core/onnx/synthetic-encoder.ts";
import { seededRandom } from "../../../../core/random.ts";
import { onnxEmbedder, onnxEmbedderFromId } from "../../../../ort/embedder/onnx-embedder.ts";
import { loadOrtRuntime, type OrtRuntime } from "../../../../ort/ort-runtime.ts";
import { referenceSentence, referenceStates, unit } from "../../../support/synthetic-encoder-reference.ts";

const PIECES = [
  "the",
  "a",
  "cat",
  "dog",
  "sat",
  "on",
  "mat",
  "route",
  "##r",
  "##s",
  "##ing",
  "model",
  "query",
  "cheap",
  "answer",
  "which",
  "is",
  "best",
  "for",
  "this",
  "prompt",
  "un",
  "##known",
  ",",
  ".",
  "?",
];
const ID = Object.fromEntries(
  ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ...PIECES].map((t, i) => [t, i]),
);
const tokenizer = bertTokenizerJson(PIECES);
const shape = { vocabulary: 5 + PIECES.length, hidden: 8, positions: 64, types: 2, layers: 2 };
const weights = syntheticEncoderWeights(shape, seededRandom(14));
const model = syntheticEncoderModel(weights);

let runtime: OrtRuntime;
beforeAll(async () => {
  runtime = await loadOrtRuntime();
});

const embedder = (windowing: Partial<Windowing> = {}, options: { batchSize?: number } = {}) =>
  onnxEmbedder({
    name: "tiny-bert",
    source: { files: { model, tokenizer } },
    windowing,
    runtime,
    ...options,
  });

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, digits = 5): void {
  expect(actual.length).toBe(expected.length);
  for (let k = 0; k < expected.length; k++) expect(actual[k]).toBeCloseTo(expected[k]!, digits);
}

const distance = (a: Float32Array, b: Float32Array) => Math.hypot(...a.map((v, k) => v - b[k]!));

/**
 * The reference vector of a text whose content token ids are `ids`: each window (cut and weighed
 * as core/embedder/windows.ts says, tested there) wrapped in [CLS] ... [SEP] and run through the
 * plain forward pass, mean-pooled, normalised, then combined by hand.
 */
function expectedVector(
  ids: number[],
  windowing: Windowing,
  w: SyntheticEncoderWeights = weights,
  tokenTypes = true,
): number[] {
  const windows = tokenWindows(ids, windowing.tokens - 2).map((window) => [
    ID["[CLS]"]!,
    ...window,
    ID["[SEP]"]!,
  ]);
  const vectors = windows.map((row) => referenceSentence(referenceStates(w, row, { tokenTypes })));
  const weightOf = (i: number) => windowWeight(windowing.combine, i, windows.length);
  return unit(vectors[0]!.map((_, k) => vectors.reduce((s, v, i) => s + weightOf(i) * v[k]!, 0)));
}

const words = (text: string) => text.split(" ").map((w) => ID[w]!);

describe("the tokenizer.json in BERT's format", () => {
  it("lower-cases, splits punctuation and word pieces, and wraps the text in [CLS] and [SEP]", async () => {
    const { Tokenizer } = await import("@huggingface/tokenizers");
    // "known" is only a continuation here, and "-" and "!" are not in the vocabulary.
    const encoding = new Tokenizer(tokenizer, {}).encode("The ROUTERS, unknown-known!");
    expect(encoding.tokens).toEqual([
      "[CLS]",
      "the",
      "route",
      "##r",
      "##s",
      ",",
      "un",
      "##known",
      "[UNK]",
      "[UNK]",
      "[UNK]",
      "[SEP]",
    ]);
    expect(encoding.ids.slice(0, 5)).toEqual([ID["[CLS]"], ID.the, ID.route, ID["##r"], ID["##s"]]);
  });
});

describe("the ONNX embedder on a generated BERT-shaped graph", () => {
  it("gives the hand-computed mean-pooled, L2-normalised output", async () => {
    const e = await embedder({ tokens: 64 });
    expect(e.dimension).toBe(shape.hidden);
    const [vector] = await e.embed(["Which model is best for this query?"]);
    const expected = expectedVector(words("which model is best for this query ?"), {
      tokens: 64,
      combine: "mean",
    });
    expectClose(vector!, expected);
    expect(Math.hypot(...vector!)).toBeCloseTo(1, 6);
  });

  it("feeds no token types to a graph that declares none", async () => {
    const noTypes = syntheticEncoderModel(weights, { tokenTypes: false });
    const e = await onnxEmbedder({
      name: "tiny-distilbert",
      source: { files: { model: noTypes, tokenizer } },
      runtime,
    });
    const [vector] = await e.embed(["the cat sat on the mat"]);
    expectClose(vector!, expectedVector(words("the cat sat on the mat"), e.windowing, weights, false));
  });

  it("feeds int32 ids and mask to a graph that declares them so", async () => {
    const int32 = syntheticEncoderModel(weights, { indices: "int32" });
    const e = await onnxEmbedder({
      name: "tiny-bert-tf",
      source: { files: { model: int32, tokenizer } },
      runtime,
    });
    const [vector] = await e.embed(["which model is best for this query ?"]);
    expectClose(vector!, expectedVector(words("which model is best for this query ?"), e.windowing));
  });

  it("wraps each window in whatever special tokens the tokenizer's template adds", async () => {
    // A template with a leading [CLS] and no [SEP]: windows hold one content token more.
    const clsOnly = {
      ...tokenizer,
      post_processor: {
        ...(tokenizer.post_processor as Record<string, unknown>),
        single: [{ SpecialToken: { id: "[CLS]", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
      },
    };
    const e = await onnxEmbedder({
      name: "tiny-bert",
      source: { files: { model, tokenizer: clsOnly } },
      windowing: { tokens: 5, combine: "mean" },
      runtime,
    });
    const text = "the cat sat on the mat . a dog";
    const windows = tokenWindows(words(text), 4).map((window) => [ID["[CLS]"]!, ...window]);
    expect(windows).toHaveLength(3);
    const vectors = windows.map((row) => referenceSentence(referenceStates(weights, row)));
    const expected = unit(vectors[0]!.map((_, k) => vectors.reduce((sum, v) => sum + v[k]!, 0)));
    expectClose((await e.embed([text]))[0]!, expected);
  });

  it("embeds a long text window by window, combined as the windowing says", async () => {
    const text = "the cat sat on the mat . which model is best for this prompt ? a dog sat on a mat .";
    for (const combine of ["mean", "last", "last-weighted"] as const) {
      const windowing = { tokens: 8, combine };
      const [vector] = await (await embedder(windowing)).embed([text]);
      expectClose(vector!, expectedVector(words(text), windowing));
    }
  });

  it("changes the vector when a token past the first window changes", async () => {
    const prefix = Array.from({ length: 30 }, () => "the cat sat on the mat .").join(" ");
    for (const combine of ["mean", "last", "last-weighted"] as const) {
      const e = await embedder({ tokens: 16, combine });
      const [dog, cat] = await e.embed([`${prefix} a dog`, `${prefix} a cat`]);
      // Token 212 of 212: far beyond the first 16-token window.
      expect(distance(dog!, cat!)).toBeGreaterThan(1e-3);
    }
  });

  it("gives a batch the vectors it gives each text alone, however the batch is padded", async () => {
    const texts = [
      "cheap answer",
      "the cat sat on the mat",
      "which model is best for this prompt ? the dog , the cat , the mat .",
      "",
      "route routing routers",
    ];
    const e = await embedder({ tokens: 10 }, { batchSize: 3 });
    const batched = await e.embed(texts);
    for (const [i, text] of texts.entries()) {
      const [alone] = await e.embed([text]);
      expectClose(batched[i]!, alone!, 6);
    }
  });

  it("gives the same vectors on the WASM backend as on the runtime loaded by default", async () => {
    const wasm = await loadOrtRuntime({ backend: "wasm" });
    const text = "which model is best for this query ?";
    const [fromWasm] = await (
      await onnxEmbedder({ name: "tiny-bert", source: { files: { model, tokenizer } }, runtime: wasm })
    ).embed([text]);
    const [fromDefault] = await (await embedder()).embed([text]);
    expectClose(fromWasm!, fromDefault!, 5);
  });
});

describe("the ONNX embedder's id", () => {
  const other = syntheticEncoderModel(syntheticEncoderWeights(shape, seededRandom(15)));
  let folder: string;
  let otherFolder: string;
  beforeAll(async () => {
    const root = await mkdtemp(join(tmpdir(), "onnx-embedder-"));
    folder = join(root, "tiny-bert");
    otherFolder = join(root, "tiny-bert-retrained");
    for (const [dir, bytes] of [
      [folder, model],
      [otherFolder, other],
    ] as const) {
      // Hugging Face's layout for ONNX exports: the graph under onnx/, the tokenizer beside it.
      await mkdir(join(dir, "onnx"), { recursive: true });
      await writeFile(join(dir, "onnx", "model.onnx"), bytes);
      await writeFile(join(dir, "tokenizer.json"), JSON.stringify(tokenizer));
      await writeFile(join(dir, "tokenizer_config.json"), JSON.stringify({ model_max_length: 1e30 }));
      await writeFile(join(dir, "sentence_bert_config.json"), JSON.stringify({ max_seq_length: 24 }));
    }
  });
  afterAll(async () => {
    await rm(join(folder, ".."), { recursive: true, force: true });
  });

  const hash = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex").slice(0, 12);

  it("names the folder's encoder, the SHA-256 of its .onnx bytes and the windowing", async () => {
    const e = await onnxEmbedder({ source: { folder }, windowing: { combine: "last-weighted" }, runtime });
    expect(e.id).toBe(`onnx:tiny-bert@${hash(model)}/w24-last-weighted`);
    const retrained = await onnxEmbedder({ name: "tiny-bert", source: { folder: otherFolder }, runtime });
    expect(retrained.id).toBe(`onnx:tiny-bert@${hash(other)}/w24-mean`);
    expect(hash(other)).not.toBe(hash(model));
  });

  it("rebuilds the same embedder from its id and the user's folder", async () => {
    const original = await onnxEmbedder({
      name: "tiny-bert",
      source: { files: { model, tokenizer } },
      windowing: { tokens: 12, combine: "last" },
      runtime,
    });
    const rebuilt = await onnxEmbedderFromId(original.id, { folder }, { runtime });
    expect(rebuilt.id).toBe(original.id);
    expect(rebuilt.windowing).toEqual({ tokens: 12, combine: "last" });
    const text = "the cat sat on the mat . which model is best for this prompt ?";
    expectClose((await rebuilt.embed([text]))[0]!, (await original.embed([text]))[0]!, 6);
  });

  it("refuses an encoder whose weights differ from the id's, naming both ids", async () => {
    const id = `onnx:tiny-bert@${hash(model)}/w24-mean`;
    const attempt = onnxEmbedderFromId(id, { folder: otherFolder }, { runtime });
    await expect(attempt).rejects.toThrow(EmbedderMismatchError);
    await expect(attempt).rejects.toThrow(id);
    await expect(attempt).rejects.toThrow(`onnx:tiny-bert@${hash(other)}/w24-mean`);
  });

  it("refuses an id that is not an ONNX embedder's", async () => {
    await expect(
      onnxEmbedderFromId(`use-lite@${hash(model)}/w128-mean`, { folder }, { runtime }),
    ).rejects.toThrow(/not an ONNX embedder/);
  });
});
