// Fault injection for the edge tests: a Durable Object instance's bindings swapped for ones that
// fail on cue (a KV miss, a write that throws, an object that cannot be reached), so a test shows
// what the object does when the platform misbehaves. The swap lasts until the object is evicted.
import { runInDurableObject } from "cloudflare:test";

/** Replaces some of a live object's bindings; the rest stay the real ones. */
export async function patchEnv<T extends Rpc.DurableObjectBranded | undefined>(
  stub: DurableObjectStub<T>,
  override: (env: Env) => Partial<Env>,
): Promise<void> {
  await runInDurableObject(stub, (instance) => {
    const holder = instance as unknown as { env: Env };
    const real = holder.env;
    const replaced: Partial<Env> = override(real);
    holder.env = new Proxy(real, {
      get: (target, key) =>
        Object.hasOwn(replaced, key) ? replaced[key as keyof Env] : Reflect.get(target, key),
    });
  });
}

/** Any async method: what a fault stands in for. */
export type AsyncMethod = (...args: never[]) => Promise<unknown>;

/**
 * An object whose named methods are replaced and whose other members are the real ones (a Durable
 * Object namespace or stub, a KV namespace): each replacement gets the real method, bound.
 */
export function withMethods<T extends object>(
  real: T,
  methods: Record<string, (original: AsyncMethod) => unknown>,
): T {
  return new Proxy(real, {
    get: (target, key) => {
      const value = Reflect.get(target, key);
      // Not value.bind: on an RPC stub every property, bind included, names a remote method.
      const bound =
        typeof value === "function" ? (...args: unknown[]) => Reflect.apply(value, target, args) : value;
      const replace = typeof key === "string" ? methods[key] : undefined;
      return replace ? replace(bound as AsyncMethod) : bound;
    },
  });
}

/**
 * Wraps an async method so that its first `times` calls fail as `fault` says (throw, or answer
 * something else) and later calls run the real one; `calls()` counts every call.
 */
export function failing(
  real: AsyncMethod,
  times: number,
  fault: () => Promise<unknown>,
): AsyncMethod & { calls: () => number } {
  let calls = 0;
  const wrapped = (...args: never[]) => (calls++ < times ? fault() : real(...args));
  return Object.assign(wrapped, { calls: () => calls });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
