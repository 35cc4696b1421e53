// The browser bundle holds the SDK and the shared core only: nothing of the edge, no Node modules,
// and onnxruntime-web in a chunk of its own that the entry imports only on demand.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bundleBrowser } from "../../../client-sdk/scripts/bundle.ts";

const outdir = mkdtempSync(join(tmpdir(), "fedrouter-bundle-"));
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe("the SDK's browser bundle", () => {
  it("contains no edge code, and loads onnxruntime-web only on demand", async () => {
    const bundle = await bundleBrowser(outdir);
    expect(bundle.inputs.some((p) => p.startsWith("client-sdk/src/"))).toBe(true);
    expect(bundle.inputs.some((p) => p.startsWith("core/secagg/"))).toBe(true);
    for (const input of bundle.inputs) {
      expect(input).not.toMatch(/^(worker|durable-objects|experiments|bench|demo)\//);
      expect(input).not.toMatch(/node_modules\/(hono|@hono|wrangler|onnxruntime-node)\//);
      expect(input).not.toMatch(/^node:/);
    }
    const entry = bundle.files.find((f) => f.entry)!;
    expect(basename(entry.path)).toBe("fedrouter-client.js");
    const onnx = bundle.files.find((f) => basename(f.path).startsWith("ort.wasm"));
    expect(onnx?.entry).toBe(false);
    expect(onnx?.atStart).toBe(false);
    const code = readFileSync(entry.path, "utf8");
    // A dynamic import of that chunk, by a path relative to the entry (the folder is esbuild's).
    const chunk = basename(onnx!.path).replace(/[.]/g, "[.]");
    expect(code).toMatch(new RegExp(`import\\("[.]{1,2}/(?:[^"]*/)?${chunk}"\\)`));
    expect(code).not.toMatch(/from\s*"node:/);
  });
});
