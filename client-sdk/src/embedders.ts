// The federation's embedder, as a client gets it: the app's own (checked against the federation's
// id), or rebuilt from the id through the embedder registry, loaded once per client on first use.

import { type Embedder, EmbedderMismatchError } from "../../core/embedder/embedder.ts";
import { hashingEmbedderFromId } from "../../core/embedder/hashing.ts";
import { parseEmbedderId } from "../../core/embedder/id.ts";
import { embedderFromId, registeredEmbedders } from "../../core/embedder/registry.ts";
import type { EmbedderInfo } from "../../core/model-file.ts";
import { registerUseLite } from "../../tfjs/register.ts";
import { FedRouterError } from "./errors.ts";

/**
 * The built-in encoders, registered on first need unless the app registered its own first (a
 * browser app calls registerUseLite({ url, wasmPaths }) to serve the weights itself).
 */
function registerBuiltIns(): void {
  if (!registeredEmbedders().includes("use-lite")) registerUseLite();
}

export class FederationEmbedders {
  readonly #given: Embedder | undefined;
  readonly #loaded = new Map<string, Promise<Embedder>>();

  constructor(given: Embedder | undefined) {
    this.#given = given;
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
    registerBuiltIns();
    const model = parseEmbedderId(info.id)?.model;
    if (!model || !registeredEmbedders().includes(model)) return undefined;
    let loading = this.#loaded.get(info.id);
    if (!loading) {
      loading = embedderFromId(info.id);
      // A failed load is not kept: the next call tries again.
      loading.catch(() => this.#loaded.delete(info.id));
      this.#loaded.set(info.id, loading);
    }
    let embedder: Embedder;
    try {
      embedder = await loading;
    } catch (error) {
      if (error instanceof EmbedderMismatchError)
        throw new FedRouterError("embedder_mismatch", error.message);
      throw error;
    }
    if (embedder.dimension !== info.dimension)
      throw new FedRouterError(
        "embedder_mismatch",
        `the router uses embedder ${info.id} with ${info.dimension} dimensions, the loaded one has ${embedder.dimension}`,
      );
    return embedder;
  }
}
