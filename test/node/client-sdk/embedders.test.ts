// The SDK's federation embedder, without an edge: rebuilt from the id through the registry, once
// per client, and refused when the ids disagree. The use-lite cases read the real weights from
// node_modules but never start TF.js (the id needs only the files' hash).
import { describe, expect, it } from "vitest";
import { FederationEmbedders } from "../../../client-sdk/src/embedders.ts";
import { FedRouterError } from "../../../client-sdk/src/errors.ts";
import { functionEmbedder } from "../../../core/embedder/embedder.ts";
import { hashingEmbedder } from "../../../core/embedder/hashing.ts";
import { embedderId, parseEmbedderId } from "../../../core/embedder/id.ts";
import { loadUseLite } from "../../../tfjs/use-lite.ts";

const useLiteId = (await loadUseLite()).id;
const weights = parseEmbedderId(useLiteId)?.weights as string;

describe("FederationEmbedders", () => {
  it("rebuilds the federation's use-lite embedder from its id, once per client", async () => {
    const embedders = new FederationEmbedders(undefined, undefined);
    const info = {
      id: embedderId({ model: "use-lite", weights, windowing: { tokens: 64, combine: "mean" } }),
      dimension: 512,
    };
    const first = await embedders.for(info);
    expect(first?.id).toBe(info.id);
    expect(await embedders.for(info)).toBe(first);
  });

  it("refuses a federation whose use-lite weights hash otherwise, naming both ids", async () => {
    const other = weights === "000000000000" ? "111111111111" : "000000000000";
    const federation = useLiteId.replace(weights, other);
    const error = await new FederationEmbedders(undefined, undefined)
      .for({ id: federation, dimension: 512 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FedRouterError);
    expect(error).toMatchObject({ code: "embedder_mismatch" });
    expect((error as Error).message).toContain(federation);
    expect((error as Error).message).toContain(useLiteId);
  });

  it("refuses an embedder option whose id is not the federation's, naming both ids", async () => {
    const mine = functionEmbedder("my-encoder@0123456789ab/w128-mean", 512, async (t) =>
      t.map(() => new Float32Array(512)),
    );
    const error = await new FederationEmbedders(mine, undefined)
      .for({ id: useLiteId, dimension: 512 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "embedder_mismatch" });
    expect((error as Error).message).toContain(useLiteId);
    expect((error as Error).message).toContain(mine.id);
  });

  it("keeps rebuilding hashing embedders, and builds nothing for a model registered nowhere", async () => {
    const hashing = hashingEmbedder({ dimension: 24 });
    const embedders = new FederationEmbedders(undefined, undefined);
    expect((await embedders.for({ id: hashing.id, dimension: 24 }))?.id).toBe(hashing.id);
    expect(await embedders.for({ id: "unheard-of@0123456789ab/w128-mean", dimension: 8 })).toBeUndefined();
  });
});
