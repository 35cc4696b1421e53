// Long texts are embedded window by window: the token sequence is cut into consecutive windows
// that each fit the encoder, and the windows' vectors are combined into one. Every windowed
// embedder cuts and combines here, so the same id means the same arithmetic.
import type { Windowing } from "./id.ts";
import { l2Normalise } from "./pooling.ts";

/** A window as [start, end) offsets into a text's tokens. */
export interface TokenWindow {
  start: number;
  end: number;
}

/**
 * Consecutive, non-overlapping windows of at most `size` tokens covering `length` tokens. An
 * empty text still gets one (empty) window: the encoder embeds its special tokens alone.
 */
export function tokenWindows(length: number, size: number): TokenWindow[] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`a window holds >= 1 token, not ${size}`);
  if (length === 0) return [{ start: 0, end: 0 }];
  const windows: TokenWindow[] = [];
  for (let start = 0; start < length; start += size)
    windows.push({ start, end: Math.min(length, start + size) });
  return windows;
}

/**
 * Each window's weight: equal for "mean"; the last window alone for "last"; for
 * "last-weighted", window i of n weighs i + 1, so a prompt's end (where the question usually is,
 * after a few-shot preamble) counts most while the preamble still counts.
 */
export function windowWeights(count: number, combine: Windowing["combine"]): Float64Array {
  const weights = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    weights[i] = combine === "mean" ? 1 : combine === "last" ? (i === count - 1 ? 1 : 0) : i + 1;
  }
  return weights;
}

/** The windows' vectors combined by their weights, L2-normalised. */
export function combineWindows(
  vectors: readonly Float32Array[],
  combine: Windowing["combine"],
): Float32Array {
  const first = vectors[0];
  if (!first) throw new RangeError("no window vectors to combine");
  if (vectors.length === 1) return l2Normalise(first.slice());
  const weights = windowWeights(vectors.length, combine);
  const sum = new Float64Array(first.length);
  vectors.forEach((vector, i) => {
    if (vector.length !== first.length) throw new RangeError("window vectors differ in dimension");
    const w = weights[i] as number;
    if (w === 0) return;
    for (let k = 0; k < vector.length; k++) sum[k] = (sum[k] as number) + w * (vector[k] as number);
  });
  return l2Normalise(Float32Array.from(sum));
}
