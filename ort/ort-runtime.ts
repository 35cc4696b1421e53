// Chooses and loads the ONNX runtime the MLP router trains and predicts with: onnxruntime-web's WASM
// backend everywhere, or onnxruntime-node (native CPU) in Node when it is installed.
import type * as OrtWeb from "onnxruntime-web";

/** The part of the onnxruntime API used here; onnxruntime-web and -node share it. */
export type OrtModule = Pick<typeof OrtWeb, "InferenceSession" | "Tensor">;
export type OrtSession = OrtWeb.InferenceSession;
export type OrtTensor = OrtWeb.Tensor;

export type Backend = "wasm" | "native" | "auto";

export interface RuntimeOptions {
  /** "auto" (default): native in Node when onnxruntime-node loads, WASM otherwise. */
  backend?: Backend;
  /** Intra-op threads (default 1). For WASM this sets ort.env.wasm.numThreads, a process-wide setting. */
  threads?: number;
  /**
   * Where onnxruntime-web finds its .wasm files (ort.env.wasm.wasmPaths). Not needed in Node,
   * where the module resolves them beside itself in node_modules; bundled browser apps pass
   * their served folder or CDN URL.
   */
  wasmPaths?: string;
}

export interface OrtRuntime {
  backend: "wasm" | "native";
  ort: OrtModule;
  sessionOptions: OrtWeb.InferenceSession.SessionOptions;
  /** A session for the given .onnx bytes with this runtime's options. */
  createSession(model: Uint8Array): Promise<OrtSession>;
}

const isNode = (): boolean =>
  typeof globalThis.process === "object" && typeof globalThis.process.versions?.node === "string";

async function loadNative(threads: number): Promise<OrtRuntime> {
  // A computed specifier keeps bundlers for browsers from trying to resolve the native addon.
  const specifier = "onnxruntime-node";
  const ort = (await import(/* @vite-ignore */ specifier)) as OrtModule;
  const sessionOptions: OrtWeb.InferenceSession.SessionOptions = {
    executionProviders: ["cpu"],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
  };
  return runtime("native", ort, sessionOptions);
}

async function loadWasm(threads: number, wasmPaths?: string): Promise<OrtRuntime> {
  const ort = await import("onnxruntime-web");
  ort.env.wasm.numThreads = threads;
  if (wasmPaths) ort.env.wasm.wasmPaths = wasmPaths;
  // onnxruntime-web 1.2x+ ships only SIMD builds, so SIMD is on wherever WASM SIMD exists.
  const sessionOptions: OrtWeb.InferenceSession.SessionOptions = {
    executionProviders: ["wasm"],
    graphOptimizationLevel: "all",
  };
  return runtime("wasm", ort, sessionOptions);
}

function runtime(
  backend: OrtRuntime["backend"],
  ort: OrtModule,
  sessionOptions: OrtWeb.InferenceSession.SessionOptions,
): OrtRuntime {
  return {
    backend,
    ort,
    sessionOptions,
    createSession: (model) => ort.InferenceSession.create(model, sessionOptions),
  };
}

export async function loadOrtRuntime(options: RuntimeOptions = {}): Promise<OrtRuntime> {
  const backend = options.backend ?? "auto";
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads must be >= 1, got ${threads}`);
  if (backend === "wasm") return loadWasm(threads, options.wasmPaths);
  if (backend === "native") {
    if (!isNode()) throw new Error("the native backend (onnxruntime-node) is only available in Node");
    return loadNative(threads);
  }
  if (isNode()) {
    try {
      return await loadNative(threads);
    } catch {
      // onnxruntime-node is an optional dependency: fall back to WASM when it is absent.
    }
  }
  return loadWasm(threads, options.wasmPaths);
}
