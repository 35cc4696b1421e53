// The one place the Federation reaches its router kind (K-means, MLP, ...) through the registry:
// the model a new federation starts from, and how a created one aggregates rounds and grows.
import type { FederatedAlgorithm } from "../core/federated.ts";
import type { ModelFile } from "../core/model-file.ts";
import type { KindSetup } from "../core/routers/kind.ts";
import { findRouterKind } from "../core/routers/registry.ts";
import { failure, type Result, success } from "../core/wire/errors.ts";
import type { FederationConfig } from "../core/wire/federation.ts";

/** A created federation's router kind, as the edge uses it. */
export interface FederationRouter {
  /** Finalises a round's total into the next global state; reads and writes model files. */
  algorithm: FederatedAlgorithm<unknown, never>;
  /** A trained router that learns `models` next; absent when the kind cannot grow this way. */
  addModels?(trained: ModelFile, models: readonly string[]): ModelFile;
  /** A trained router whose next rounds are new organisations joining; absent when unsupported. */
  joinClients?(trained: ModelFile): ModelFile;
}

function setupOf(config: FederationConfig): KindSetup {
  return {
    models: config.models.map((m) => m.id),
    embedder: config.embedder,
    hyperparameters: config.router.hyperparameters,
  };
}

/**
 * The model a new federation publishes as version 0 (and whether it is already final), or why its
 * router configuration is refused.
 */
export function initialModel(config: FederationConfig): Result<{ file: ModelFile; final: boolean }> {
  const name = config.router.kind;
  const kind = findRouterKind(name);
  if (!kind) return failure("invalid_config", `unknown router kind "${name}"`);
  const setup = setupOf(config);
  const refusal = kind.checkHyperparameters(setup);
  if (refusal) return failure("invalid_config", refusal);
  try {
    const algorithm = kind.algorithm();
    const state = kind.initialState(setup);
    return success({ file: algorithm.toModelFile(state), final: algorithm.done(state) });
  } catch (error) {
    return failure("invalid_config", `cannot build the initial ${name} model: ${(error as Error).message}`);
  }
}

/** The router kind of a created federation (its kind may have left this build since). */
export function federationRouter(config: FederationConfig): Result<FederationRouter> {
  const kind = findRouterKind(config.router.kind);
  if (!kind) return failure("invalid_config", `router kind "${config.router.kind}" is not available`);
  // The edge only finalises totals: its algorithm has no local compute.
  const algorithm = kind.algorithm();
  const { addModels, joinClients } = kind;
  return success({
    algorithm: algorithm as FederatedAlgorithm<unknown, never>,
    ...(addModels && {
      addModels: (trained, models) =>
        algorithm.toModelFile(addModels.call(kind, algorithm.fromModelFile(trained), models)),
    }),
    ...(joinClients && {
      joinClients: (trained) =>
        algorithm.toModelFile(joinClients.call(kind, algorithm.fromModelFile(trained))),
    }),
  } satisfies FederationRouter);
}
