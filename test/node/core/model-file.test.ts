import { describe, expect, it } from "vitest";
import {
  assertCompatible,
  decodeModelFile,
  encodeModelFile,
  inputWidth,
  ModelFileError,
} from "../../../core/model-file.ts";

const file = {
  kind: "kmeans",
  embedder: { id: "hashing-v1:d4", dimension: 4 },
  models: ["a", "b"],
  meta: { phase: "done" },
  tensors: { centroids: Float32Array.from([1, 2, 3, 4]), stats: Float64Array.from([0.5, 1e-9, 7]) },
};

describe("the router model file", () => {
  it("round-trips header and tensors exactly", () => {
    const decoded = decodeModelFile(encodeModelFile(file));
    expect(decoded.kind).toBe("kmeans");
    expect(decoded.models).toEqual(["a", "b"]);
    expect(decoded.meta).toEqual({ phase: "done" });
    expect(decoded.tensors.centroids).toEqual(file.tensors.centroids);
    expect(decoded.tensors.stats).toEqual(file.tensors.stats);
  });

  it("detects truncation, foreign bytes and a wrong version", () => {
    const bytes = encodeModelFile(file);
    expect(() => decodeModelFile(bytes.subarray(0, bytes.length - 1))).toThrow(/truncated|header says/);
    expect(() => decodeModelFile(new TextEncoder().encode("not a router at all"))).toThrow(ModelFileError);
    const future = bytes.slice();
    new DataView(future.buffer).setUint32(4, 99, true);
    expect(() => decodeModelFile(future)).toThrow(/version 99/);
  });

  it("refuses another embedder or model list with a clear error", () => {
    expect(() => assertCompatible(file, { id: "hashing-v1:d8", dimension: 8 })).toThrow(
      /trained with embedder hashing-v1:d4/,
    );
    expect(() => assertCompatible(file, file.embedder, ["a", "c"])).toThrow(/differ/);
    expect(() => assertCompatible(file, file.embedder, ["a", "b"])).not.toThrow();
  });

  it("records a tag vocabulary and refuses another one", () => {
    const tagged = { ...file, tags: ["billing", "code"] };
    const decoded = decodeModelFile(encodeModelFile(tagged));
    expect(decoded.tags).toEqual(["billing", "code"]);
    expect(inputWidth(decoded)).toBe(6);
    expect(() => assertCompatible(decoded, file.embedder, file.models, ["code", "billing"])).toThrow(
      /tags \[billing, code\] differ from \[code, billing\]/,
    );
    expect(() => assertCompatible(decoded, file.embedder, file.models, ["billing", "code"])).not.toThrow();
  });

  it("writes a file without tags byte for byte as before tags existed", () => {
    const bytes = encodeModelFile({ ...file, tags: [] });
    expect(bytes).toEqual(encodeModelFile(file));
    const header = new TextDecoder().decode(
      bytes.subarray(12, 12 + new DataView(bytes.buffer).getUint32(8, true)),
    );
    expect(header).not.toContain("tags");
    expect(decodeModelFile(bytes).tags).toBeUndefined();
    expect(inputWidth(file)).toBe(4);
  });

  it("refuses tags that are not a list of strings", () => {
    const bytes = encodeModelFile({ ...file, tags: ["x"] });
    const text = new TextDecoder().decode(bytes);
    const forged = new TextEncoder().encode(text.replace('"tags":["x"]', '"tags":[123]'));
    expect(() => decodeModelFile(forged)).toThrow(/tags are not a list of strings/);
  });
});
