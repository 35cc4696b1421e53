// Masked inputs that malicious clients encode themselves, bypassing the SDK's clipping and its
// weight of 1: what only the edge's checks of the decoded total can catch.
import type { CraftedInput } from "./sim-client.ts";

/** Encodes [weight, weight * values] at the round's scale with no clipping (rounded to nearest). */
export function unclipped(values: ArrayLike<number>, weight = 1): CraftedInput {
  return {
    crafted: (config) =>
      Uint32Array.from([weight, ...Array.from(values, (v) => v * weight)], (v) =>
        Math.round(v * config.scale),
      ),
  };
}

/** An honest-looking encoding of `values` with one element's 32-bit word replaced (index 0 is the weight slot). */
export function withWord(values: ArrayLike<number>, index: number, word: number): CraftedInput {
  return {
    crafted(config) {
      const vector = unclipped(values).crafted(config);
      vector[index] = word;
      return vector;
    },
  };
}

/** `values` with `change` applied to a copy, encoded with no clipping. */
export function changed(values: Float64Array, change: (own: Float64Array) => void): CraftedInput {
  const own = Float64Array.from(values);
  change(own);
  return unclipped(own);
}
