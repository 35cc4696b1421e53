// Embedders by id: each encoder registers a factory under its model name (`use-lite`,
// `onnx:<name>`), and a federation's embedder id is turned back into an embedder here. The
// hashing embedder is built in. Factories load their weights when called, not when registered,
// so registering costs nothing until a federation needs the encoder.

import { type Embedder, EmbedderMismatchError } from "./embedder.ts";
import { hashingEmbedder, hashingEmbedderFromId } from "./hashing.ts";
import type { Windowing } from "./id.ts";

/**
 * Builds the embedder registered under a model name, with the given windowing (or the model's
 * default). Its `id` must name the weights it loaded: the registry compares it with the id asked for.
 */
export type EmbedderFactory = (windowing?: Windowing) => Promise<Embedder>;

const factories = new Map<string, EmbedderFactory>();

/** The model name of the built-in hashing embedder, as `loadEmbedder` accepts it. */
export const HASHING_MODEL = "hashing";

/**
 * Registers (or replaces) the factory for a model name, e.g. `registerEmbedder("use-lite", ...)`.
 * The name is the `<model>` part of embedder ids: lower-case letters, digits and "-", optionally
 * followed by ":" and a variant (`onnx:all-MiniLM-L6-v2`).
 */
export function registerEmbedder(model: string, factory: EmbedderFactory): void {
  if (!MODEL.test(model) || model === HASHING_MODEL)
    throw new RangeError(`cannot register an embedder as "${model}"`);
  factories.set(model, factory);
}

/** The model names registered, beside the built-in "hashing". */
export function registeredEmbedders(): string[] {
  return [HASHING_MODEL, ...factories.keys()];
}

const MODEL = /^[a-z][a-z0-9-]*(?::[A-Za-z0-9._-]+)?$/;
/** `<model>[@<weights>][/w<tokens>-<combine>]`: a full id, or a name with parts left to defaults. */
const NAME =
  /^([a-z][a-z0-9-]*(?::[A-Za-z0-9._-]+)?)(?:@([0-9a-f]{12}))?(?:\/w(\d+)-(mean|last|last-weighted))?$/;

/**
 * The embedder a name asks for: `hashing` or a hashing id, or a registered model with optional
 * weights hash and windowing (`use-lite`, `use-lite/w128-last`, a full id). A weights hash in the
 * name must match the loaded weights. For names a person types (`--embedder`). `own` factories
 * (a client's, with its options) take precedence over the registered ones.
 */
export async function loadEmbedder(
  name: string,
  own?: ReadonlyMap<string, EmbedderFactory>,
): Promise<Embedder> {
  if (name === HASHING_MODEL) return hashingEmbedder();
  const hashing = hashingEmbedderFromId(name);
  if (hashing) return hashing;
  const match = NAME.exec(name);
  if (!match)
    throw new RangeError(`"${name}" names no embedder: expected <model>[@<weights>][/w<tokens>-<combine>]`);
  const [, model, weights, tokens, combine] = match;
  const factory = own?.get(model as string) ?? factories.get(model as string);
  if (!factory)
    throw new EmbedderMismatchError(
      `no embedder is registered as "${model}" (registered: ${[...registeredEmbedders(), ...(own?.keys() ?? [])].join(", ")})`,
    );
  const windowing = tokens ? { tokens: Number(tokens), combine: combine as Windowing["combine"] } : undefined;
  const embedder = await factory(windowing);
  const loaded = NAME.exec(embedder.id);
  if (
    !loaded ||
    loaded[1] !== model ||
    (weights !== undefined && loaded[2] !== weights) ||
    !sameWindowing(loaded, windowing)
  )
    throw new EmbedderMismatchError(
      `asked for embedder ${name}, but the one registered as "${model}" loaded ${embedder.id}`,
    );
  return embedder;
}

/**
 * The embedder a federation's id names, exactly: a hashing id, or `<model>@<weights>/w..` of a
 * registered model whose loaded weights hash the same. Anything else is refused with an error
 * naming both ids. `own` factories take precedence over the registered ones.
 */
export async function embedderFromId(
  id: string,
  own?: ReadonlyMap<string, EmbedderFactory>,
): Promise<Embedder> {
  const hashing = hashingEmbedderFromId(id);
  if (hashing) return hashing;
  const match = NAME.exec(id);
  if (!match || match[2] === undefined || match[3] === undefined)
    throw new EmbedderMismatchError(`"${id}" is not an embedder id this registry can rebuild`);
  const embedder = await loadEmbedder(id, own).catch((error: unknown) => {
    if (error instanceof EmbedderMismatchError) throw error;
    throw new EmbedderMismatchError(`could not load embedder ${id}: ${(error as Error).message}`);
  });
  if (embedder.id !== id)
    throw new EmbedderMismatchError(`the federation's embedder is ${id}, this client loaded ${embedder.id}`);
  return embedder;
}

function sameWindowing(loaded: RegExpExecArray, asked: Windowing | undefined): boolean {
  return asked === undefined || (Number(loaded[3]) === asked.tokens && loaded[4] === asked.combine);
}
