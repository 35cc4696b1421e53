// The built-in embedder: signed feature hashing of word and character n-grams with sublinear
// term frequency, L2-normalised. Deterministic, no download, runs anywhere JavaScript runs.

import { fmix32 } from "../random.ts";
import type { Embedder } from "./embedder.ts";

export interface HashingOptions {
  dimension?: number;
  /** Word n-gram orders, e.g. [1, 2]. */
  wordNgrams?: number[];
  /** Character n-gram orders inside words (with boundary marks), e.g. [3, 4]; [] for none. */
  charNgrams?: number[];
  /** Weight of character n-grams relative to word n-grams. */
  charWeight?: number;
}

/** Defaults chosen by measured routing AUC (see docs/embedder.md and `npm run bench`). */
export const HASHING_DEFAULTS: Required<HashingOptions> = {
  dimension: 1024,
  wordNgrams: [1, 2],
  charNgrams: [3, 4],
  charWeight: 0.5,
};

const WORD = /[\p{L}\p{N}]+/gu;

/** 32-bit FNV-1a over UTF-16 code units, with a murmur3 finaliser for better low-bit mixing. */
export function hashString(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

export function hashingEmbedderId(options: Required<HashingOptions>): string {
  const { dimension, wordNgrams, charNgrams, charWeight } = options;
  return `hashing-v1:d${dimension}:w${wordNgrams.join("")}:c${charNgrams.join("") || "0"}:cw${charWeight}`;
}

/** Embeds one text into `output` (zeroed first). */
export function hashText(
  text: string,
  options: Required<HashingOptions>,
  output: Float32Array,
): Float32Array {
  const { dimension, wordNgrams, charNgrams, charWeight } = options;
  output.fill(0);
  const counts = new Map<string, number>();
  const add = (feature: string, weight: number) => counts.set(feature, (counts.get(feature) ?? 0) + weight);
  const words = text.toLowerCase().match(WORD) ?? [];
  for (const n of wordNgrams) {
    for (let i = 0; i + n <= words.length; i++) add(`w${n}:${words.slice(i, i + n).join(" ")}`, 1);
  }
  for (const w of charNgrams.length ? words : []) {
    const marked = `<${w}>`;
    for (const n of charNgrams) {
      for (let i = 0; i + n <= marked.length; i++) add(`c:${marked.slice(i, i + n)}`, 1);
    }
  }
  for (const [feature, count] of counts) {
    const h = hashString(feature);
    // The top bit chooses the sign so that collisions cancel in expectation.
    const sign = h & 0x80000000 ? -1 : 1;
    const slot = (h & 0x7fffffff) % dimension;
    output[slot]! +=
      sign * (count > 0 ? 1 + Math.log(count) : 0) * (feature.startsWith("c") ? charWeight : 1);
  }
  let norm = 0;
  for (let i = 0; i < dimension; i++) norm += output[i]! * output[i]!;
  if (norm > 0) {
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < dimension; i++) output[i]! *= scale;
  }
  return output;
}

export function hashingEmbedder(options: HashingOptions = {}): Embedder {
  const resolved = { ...HASHING_DEFAULTS, ...options };
  if (!Number.isInteger(resolved.dimension) || resolved.dimension < 2) {
    throw new RangeError(`hashing dimension must be an integer >= 2, got ${resolved.dimension}`);
  }
  return {
    id: hashingEmbedderId(resolved),
    dimension: resolved.dimension,
    async embed(texts) {
      return texts.map((text) => hashText(text, resolved, new Float32Array(resolved.dimension)));
    },
  };
}

/** Rebuilds the hashing embedder named by an id from hashingEmbedderId, or null for another id. */
export function hashingEmbedderFromId(id: string): Embedder | null {
  const match = /^hashing-v1:d(\d+):w(\d+):c(\d+):cw([\d.]+)$/.exec(id);
  if (!match) return null;
  const [, dimension, words, chars, charWeight] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
  ];
  const embedder = hashingEmbedder({
    dimension: Number(dimension),
    wordNgrams: [...words].map(Number),
    charNgrams: chars === "0" ? [] : [...chars].map(Number),
    charWeight: Number(charWeight),
  });
  // Only an id that round-trips names this embedder exactly.
  return embedder.id === id ? embedder : null;
}
