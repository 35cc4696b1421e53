// Loads TF.js (core, graph-model converter, WASM backend) on first use, in Node and in browsers.
// Everything here is imported dynamically so an app that never embeds with TF.js never loads it.

import type * as TfCore from "@tensorflow/tfjs-core";

export interface TfjsOptions {
  /**
   * WASM threads. Default: 1 in Node, where the harness runs one worker per core instead; in a
   * browser, up to 4 when the page is cross-origin isolated (threads need SharedArrayBuffer), else 1.
   */
  threads?: number;
  /**
   * Where the backend's .wasm files are served (a URL prefix ending in "/"). Not needed in Node,
   * where they are read beside the package in node_modules; bundled browser apps pass their
   * served folder.
   */
  wasmPaths?: string;
}

export interface Tfjs {
  tf: typeof TfCore;
  loadGraphModel: typeof import("@tensorflow/tfjs-converter").loadGraphModel;
}

let loaded: Promise<Tfjs> | undefined;

export const isNode = (): boolean =>
  typeof globalThis.process === "object" && typeof globalThis.process.versions?.node === "string";

/**
 * TF.js with the WASM backend ready. The backend is process-wide: the first call's options set
 * it up and later calls share it.
 */
export function loadTfjs(options: TfjsOptions = {}): Promise<Tfjs> {
  loaded ??= setUp(options).catch((error: unknown) => {
    loaded = undefined;
    throw error;
  });
  return loaded;
}

async function setUp(options: TfjsOptions): Promise<Tfjs> {
  const [tf, wasm, converter] = await Promise.all([
    import("@tensorflow/tfjs-core"),
    import("@tensorflow/tfjs-backend-wasm"),
    import("@tensorflow/tfjs-converter"),
  ]);
  const wasmPaths = options.wasmPaths ?? (isNode() ? nodeWasmFolder() : undefined);
  if (wasmPaths) wasm.setWasmPaths(wasmPaths);
  wasm.setThreadsCount(options.threads ?? defaultThreads());
  if (!(await tf.setBackend("wasm"))) throw new Error("the TF.js WASM backend failed to initialise");
  await tf.ready();
  return { tf, loadGraphModel: converter.loadGraphModel };
}

function defaultThreads(): number {
  if (isNode()) return 1;
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const cores =
    (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  return isolated ? Math.max(1, Math.min(4, cores)) : 1;
}

/** The backend's dist folder in node_modules, found without a static node:* import. */
function nodeWasmFolder(): string {
  const entry = nodeRequire().resolve("@tensorflow/tfjs-backend-wasm");
  return `${entry.slice(0, entry.lastIndexOf("/") + 1)}`;
}

/** Node's require, reached through process.getBuiltinModule so browser bundles see no node:* import. */
export function nodeRequire(): NodeJS.Require {
  const module = globalThis.process.getBuiltinModule("node:module");
  return module.createRequire(import.meta.url);
}
