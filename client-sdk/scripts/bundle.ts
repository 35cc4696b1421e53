// The SDK as a browser would load it: one minified ES module bundle of client-sdk/src/index.ts,
// with onnxruntime-web split into a chunk fetched only when training or ONNX inference starts.
// Prints the sizes (minified and gzipped) and fails if anything of the edge got in.
//   node client-sdk/scripts/bundle.ts [outdir]     (default client-sdk/dist/browser)
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build, type Metafile } from "esbuild";

const sdk = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const root = resolve(sdk, "..");

/** Inputs that must never reach the browser bundle: the edge and its server libraries. */
const SERVER_CODE = [/^worker\//, /^durable-objects\//, /node_modules\/(hono|@hono|wrangler)\//, /^node:/];

export interface BundleFile {
  path: string;
  bytes: number;
  gzipBytes: number;
  /** Whether it is the entry module. */
  entry: boolean;
  /** Whether the page loads it at once (the entry and the chunks it imports statically) or only on demand. */
  atStart: boolean;
}

export interface BrowserBundle {
  outdir: string;
  /** The entry module to import. */
  entry: string;
  files: BundleFile[];
  /** Every source file in the bundle, relative to the repository. */
  inputs: string[];
}

export async function bundleBrowser(outdir = join(sdk, "dist/browser")): Promise<BrowserBundle> {
  const result = await build({
    entryPoints: { "fedrouter-client": join(sdk, "src/index.ts") },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    sourcemap: false,
    metafile: true,
    logLevel: "error",
    // Metafile paths are relative to this folder, whatever the caller's working directory.
    absWorkingDir: root,
    // The SDK runs onnxruntime's WASM execution provider only: the wasm-only build is a fifth
    // of the default one, which also carries WebGPU.
    alias: { "onnxruntime-web": "onnxruntime-web/wasm" },
  });
  const metafile = result.metafile as Metafile;
  const inputs = Object.keys(metafile.inputs).map((p) => relative(root, resolve(root, p)));
  const leaked = inputs.filter((p) => SERVER_CODE.some((pattern) => pattern.test(p)));
  if (leaked.length) throw new Error(`server code in the browser bundle: ${leaked.join(", ")}`);
  const outputs = Object.entries(metafile.outputs).filter(([path]) => path.endsWith(".js"));
  const entryPath = outputs.find(([, output]) => output.entryPoint?.endsWith("client-sdk/src/index.ts"))?.[0];
  // Shared chunks the entry imports statically load with it; dynamic imports load on demand.
  const atStart = new Set<string>();
  const visit = (path: string | undefined) => {
    if (!path || atStart.has(path)) return;
    atStart.add(path);
    for (const imported of metafile.outputs[path]?.imports ?? [])
      if (imported.kind === "import-statement" && !imported.external) visit(imported.path);
  };
  visit(entryPath);
  const files = outputs.map(([path]) => {
    const bytes = readFileSync(resolve(root, path));
    return {
      path: resolve(root, path),
      bytes: bytes.length,
      gzipBytes: gzipSync(bytes, { level: 9 }).length,
      entry: path === entryPath,
      atStart: atStart.has(path),
    };
  });
  return { outdir, entry: join(outdir, "fedrouter-client.js"), files, inputs };
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const bundle = await bundleBrowser(process.argv[2] ? resolve(process.argv[2]) : undefined);
  for (const file of bundle.files)
    console.log(
      `${relative(root, file.path)}  ${kib(file.bytes)} minified, ${kib(file.gzipBytes)} gzipped${file.entry ? " (entry)" : file.atStart ? " (imported by the entry)" : " (loaded on demand)"}`,
    );
  const start = bundle.files.filter((f) => f.atStart);
  const sum = (key: "bytes" | "gzipBytes") => start.reduce((total, f) => total + f[key], 0);
  console.log(
    `loaded at start (the entry and its static imports)  ${kib(sum("bytes"))} minified, ${kib(sum("gzipBytes"))} gzipped`,
  );
  const wasm = join(root, "node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm");
  const wasmBytes = readFileSync(wasm);
  console.log(
    `onnxruntime-web WASM (fetched on demand, not bundled)  ${kib(wasmBytes.length)}, ${kib(gzipSync(wasmBytes, { level: 9 }).length)} gzipped`,
  );
}
