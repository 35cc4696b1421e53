// A router kind in the harness, by name: the registry's kind with the CLI's options, training on
// onnxruntime (native in Node when installed, WASM otherwise) where the kind trains locally.
import type { Hyperparameters, KindExperiment } from "../core/routers/kind.ts";
import { findRouterKind, routerKindNames } from "../core/routers/registry.ts";
import { ortCompute } from "../ort/index.ts";

export function kindExperiment(name: string, options: Hyperparameters = {}): Promise<KindExperiment> {
  const kind = findRouterKind(name);
  if (!kind) throw new RangeError(`--router must be one of ${routerKindNames().join(", ")}, got "${name}"`);
  return kind.experiment(options, kind.trainsLocally ? ortCompute() : undefined);
}
