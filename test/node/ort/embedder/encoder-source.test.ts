// Reading an encoder's files from a folder or a URL, in the layouts exported models come in.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseTokenizerJson, readEncoderFiles } from "../../../../ort/embedder/encoder-source.ts";

const MODEL = Uint8Array.of(8, 1, 2, 3);
const TOKENIZER = {
  version: "1.0",
  truncation: { max_length: 128 },
  model: { type: "WordPiece", vocab: {} },
};

let root: string;
let server: Server;
let baseUrl: string;
const requested: string[] = [];

async function writeFolder(name: string, files: Record<string, string | Uint8Array>): Promise<string> {
  const folder = join(root, name);
  for (const [file, content] of Object.entries(files)) {
    await mkdir(join(folder, file, ".."), { recursive: true });
    await writeFile(join(folder, file), content);
  }
  return folder;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "encoder-source-"));
  // A plain static file server over the temporary folder, answering 404 for absent files.
  server = createServer((request, response) => {
    requested.push(request.url ?? "");
    readFile(join(root, decodeURIComponent(request.url ?? "")))
      .then((bytes) => response.end(bytes))
      .catch(() => {
        response.statusCode = 404;
        response.end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await rm(root, { recursive: true, force: true });
});

describe("an encoder's files", () => {
  it("are read from a folder holding model.onnx and tokenizer.json", async () => {
    const folder = await writeFolder("all-MiniLM-L6-v2", {
      "model.onnx": MODEL,
      "tokenizer.json": JSON.stringify(TOKENIZER),
      "tokenizer_config.json": JSON.stringify({ model_max_length: 512 }),
      "sentence_bert_config.json": JSON.stringify({ max_seq_length: 256 }),
    });
    const files = await readEncoderFiles({ folder });
    expect([...files.model]).toEqual([...MODEL]);
    expect(parseTokenizerJson(files.tokenizer)).toEqual(TOKENIZER);
    expect(files.tokenizerConfig).toEqual({ model_max_length: 512 });
    // sentence-transformers' own limit wins over the tokenizer's.
    expect(files.maxTokens).toBe(256);
  });

  it("take the length from tokenizer.json's truncation when no sentence-transformers config states one", async () => {
    const folder = await writeFolder("bge-small", {
      "onnx/model.onnx": MODEL,
      "tokenizer.json": JSON.stringify(TOKENIZER),
      "tokenizer_config.json": JSON.stringify({ model_max_length: 1e30 }),
    });
    const files = await readEncoderFiles({ folder });
    expect([...files.model]).toEqual([...MODEL]);
    expect(files.maxTokens).toBe(128);
  });

  it("are fetched from a URL with the same layout, absent optional files skipped", async () => {
    await writeFolder("served", { "onnx/model.onnx": MODEL, "tokenizer.json": JSON.stringify(TOKENIZER) });
    requested.length = 0;
    const files = await readEncoderFiles({ url: `${baseUrl}/served` });
    expect([...files.model]).toEqual([...MODEL]);
    expect(parseTokenizerJson(files.tokenizer)).toEqual(TOKENIZER);
    expect(files.tokenizerConfig).toBeUndefined();
    // Only the encoder's own files under the URL given.
    expect(requested.every((path) => path.startsWith("/served/"))).toBe(true);
  });

  it("must include tokenizer.json", async () => {
    const folder = await writeFolder("no-tokenizer", { "model.onnx": MODEL });
    await expect(readEncoderFiles({ folder })).rejects.toThrow(`no tokenizer.json in ${folder}`);
  });

  it("must include the model, under the file name given when one is", async () => {
    const folder = await writeFolder("quantised", {
      "onnx/model_quantized.onnx": MODEL,
      "tokenizer.json": JSON.stringify(TOKENIZER),
    });
    await expect(readEncoderFiles({ folder })).rejects.toThrow(/no model\.onnx or onnx\/model\.onnx/);
    const files = await readEncoderFiles({ folder, modelFile: "onnx/model_quantized.onnx" });
    expect([...files.model]).toEqual([...MODEL]);
  });
});
