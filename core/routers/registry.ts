// The registry of router kinds: the one place the edge, the SDK and the harness find a kind by
// its name, and what they do with a model file through it.
import { kmeansKind } from "../kmeans/kind.ts";
import { mlpKind } from "../mlp/kind.ts";
import type { ModelFile } from "../model-file.ts";
import type { Router, RouterKind } from "./kind.ts";

const kinds = new Map<string, RouterKind>([
  [kmeansKind.name, kmeansKind as RouterKind],
  [mlpKind.name, mlpKind as RouterKind],
]);

/** Adds a kind (a new folder's kind, or a test's toy one); a name is registered once. */
export function registerRouterKind<State>(kind: RouterKind<State>): void {
  if (kinds.has(kind.name)) throw new RangeError(`router kind "${kind.name}" is already registered`);
  kinds.set(kind.name, kind as RouterKind);
}

/** The registered kinds' names, in registration order (the built-in ones first). */
export function routerKindNames(): string[] {
  return [...kinds.keys()];
}

/** The kind of that name, or undefined. */
export function findRouterKind(name: string): RouterKind | undefined {
  return kinds.get(name);
}

/** The kind of that name; a RangeError naming the known ones otherwise. */
export function routerKind(name: string): RouterKind {
  const kind = kinds.get(name);
  if (!kind)
    throw new RangeError(`no router of kind "${name}" is known (known: ${routerKindNames().join(", ")})`);
  return kind;
}

/** The global state a model file holds, with its kind. */
export function stateOf(file: ModelFile): { kind: RouterKind; state: unknown } {
  const kind = routerKind(file.kind);
  return { kind, state: kind.algorithm().fromModelFile(file) };
}

/** A model file loaded for routing in plain JavaScript; throws when it cannot route yet. */
export function loadRouter(file: ModelFile): Router {
  const { kind, state } = stateOf(file);
  return kind.router(state);
}

/** The LLMs a published router is learning, which clients should evaluate on some queries. */
export function modelsBeingAdded(file: ModelFile): string[] {
  const { kind, state } = stateOf(file);
  return kind.modelsBeingAdded(state);
}
