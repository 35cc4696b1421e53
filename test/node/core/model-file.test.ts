import { describe, expect, it } from "vitest";
import {
  assertCompatible,
  decodeModelFile,
  encodeModelFile,
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
});
