// Registers TensorFlow.js's gradient functions in Node. tfjs-core's Node build ships without
// them (the @tensorflow/tfjs union package normally imports them), and its ES-module sources
// use extension-less imports that Node cannot resolve; a resolve hook adds the ".js". The
// registries and the engine live on globalThis, so this copy registers into the one in use.
import { register } from "node:module";

const hook = `
export async function resolve(specifier, context, next) {
  if (context.parentURL?.includes("/@tensorflow/tfjs-core/dist/") && specifier.startsWith(".") && !specifier.endsWith(".js")) {
    return next(specifier + ".js", context);
  }
  return next(specifier, context);
}`;

let registered: Promise<unknown> | null = null;

export function registerTfjsGradients(): Promise<unknown> {
  if (!registered) {
    register(`data:text/javascript,${encodeURIComponent(hook)}`, import.meta.url);
    const path = "@tensorflow/tfjs-core/dist/register_all_gradients.js";
    registered = import(/* @vite-ignore */ path);
  }
  return registered;
}
