// Long texts and short-input encoders: a text's tokens are cut into windows the encoder reads
// whole, each window is embedded, and the windows' vectors are combined into one.

import type { Windowing } from "./id.ts";

/**
 * Cuts token ids into full windows of `size` tokens: from the start in steps of `size`, and a
 * last window holding the last `size` tokens (overlapping the one before it when the length is
 * not a multiple of `size`). Start alignment makes texts that share a long prefix (a few-shot
 * template) share their first windows exactly, so an embedder can compute those once; the last
 * window stays full, so the end of a text, where such prompts differ, is read with context.
 */
export function tokenWindows(ids: readonly number[], size: number): number[][] {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`window size must be an integer >= 1, got ${size}`);
  if (ids.length <= size) return [ids.slice()];
  const windows: number[][] = [];
  for (let start = 0; start + size < ids.length; start += size) windows.push(ids.slice(start, start + size));
  windows.push(ids.slice(ids.length - size));
  return windows;
}

/**
 * Weight of window i of n (0-based) in a combination: `mean` weighs all alike, `last` takes only
 * the last window, `last-weighted` gives the last window half the weight and the others share
 * the other half evenly (so a text of one window is its window, and a long template cannot
 * outweigh its end).
 */
export function windowWeight(combine: Windowing["combine"], i: number, n: number): number {
  if (n === 1) return 1;
  switch (combine) {
    case "mean":
      return 1 / n;
    case "last":
      return i === n - 1 ? 1 : 0;
    case "last-weighted":
      return i === n - 1 ? 0.5 : 0.5 / (n - 1);
  }
}

/** Combines the vectors of one text's windows, in order, into one L2-normalised vector. */
export function combineWindows(
  vectors: readonly Float32Array[],
  combine: Windowing["combine"],
  output?: Float32Array,
): Float32Array {
  const first = vectors[0];
  if (!first) throw new RangeError("no window vectors to combine");
  const dimension = first.length;
  const out = output ?? new Float32Array(dimension);
  if (out.length !== dimension)
    throw new RangeError(`output has ${out.length} dimensions, windows ${dimension}`);
  out.fill(0);
  vectors.forEach((vector, i) => {
    if (vector.length !== dimension)
      throw new RangeError(`window ${i} has ${vector.length} dimensions, not ${dimension}`);
    const weight = windowWeight(combine, i, vectors.length);
    if (weight === 0) return;
    for (let d = 0; d < dimension; d++) out[d] = (out[d] as number) + weight * (vector[d] as number);
  });
  let norm = 0;
  for (let d = 0; d < dimension; d++) norm += (out[d] as number) ** 2;
  if (norm > 0) {
    const scale = 1 / Math.sqrt(norm);
    for (let d = 0; d < dimension; d++) out[d] = (out[d] as number) * scale;
  }
  return out;
}
