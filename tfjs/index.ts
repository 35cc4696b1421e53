// Sentence encoders on TF.js WASM, imported by the SDK and the harness through `import()` only
// when a federation's embedder needs one; the edge never imports them.

export { loadTfjs, type TfjsOptions } from "./tfjs-runtime.ts";
export {
  loadUseLite,
  USE_LITE_DEFAULT_WINDOWING,
  USE_LITE_DIMENSION,
  USE_LITE_MAX_TOKENS,
  USE_LITE_MODEL,
  type UseLiteOptions,
} from "./use-lite.ts";
export {
  type UseLiteAssets,
  useLiteAssetsFromPackage,
  useLiteAssetsFromUrl,
} from "./use-lite-assets.ts";
