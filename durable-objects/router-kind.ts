// The one place the Federation reaches its router kind (K-means, MLP, ...) through the registry:
// the model a new federation starts from, and how a created one aggregates rounds and grows.
import type { FederatedAlgorithm } from "../core/federated.ts";
import type { ModelFile } from "../core/model-file.ts";
import type { Footprint, KindSetup, TotalContext } from "../core/routers/kind.ts";
import { findRouterKind } from "../core/routers/registry.ts";
import { failure, type Result, success } from "../core/wire/errors.ts";
import type { FederationConfig } from "../core/wire/federation.ts";
import { MAX_CONTRIBUTION_LENGTH, MAX_MODEL_FILE_BYTES } from "../core/wire/limits.ts";
import { lastAffordableAfter } from "./federation-privacy.ts";

/** A created federation's router kind, as the edge uses it. */
export interface FederationRouter {
  /** The kind's name in the registry. */
  kind: string;
  /** Finalises a round's total into the next global state; reads and writes model files. */
  algorithm: FederatedAlgorithm<unknown, never>;
  /** A refusal when a round's decoded total cannot be a sum of honest contributions (RouterKind.checkTotal). */
  checkTotal(global: unknown, total: Float64Array, context: TotalContext): string | undefined;
  /** A trained router that learns `models` next; absent when the kind cannot grow this way. */
  addModels?(trained: ModelFile, models: readonly string[]): ModelFile;
  /** A trained router whose next rounds are new organisations joining; absent when unsupported. */
  joinClients?(trained: ModelFile): ModelFile;
  /** The state cut to one last pass that leaves a router (RouterKind.lastPass); absent: it routes already. */
  lastPass?(global: unknown): unknown;
  /** Refuses a grown router (its file, its configuration) that the platform could not carry. */
  checkCapacity(grown: ModelFile, config: FederationConfig): Result<null>;
}

/** Room in a model file beyond its tensors: the header's JSON (models, embedder, metadata) and padding. */
const MODEL_HEADER_ALLOWANCE = 1024 * 1024;

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** A footprint within what KV stores and RPC carries, or a refusal that names the limit. */
function withinCapacity(kind: string, footprint: Footprint): Result<null> {
  const fileBytes = footprint.tensorBytes + MODEL_HEADER_ALLOWANCE;
  if (fileBytes > MAX_MODEL_FILE_BYTES)
    return failure(
      "invalid_config",
      `the ${kind} router's model file would reach ${megabytes(fileBytes)} (with 1 MiB for its header), over the ${MAX_MODEL_FILE_BYTES} bytes (25 MiB) a model version may take: choose a smaller router, embedder or model list`,
    );
  if (footprint.contributionLength > MAX_CONTRIBUTION_LENGTH)
    return failure(
      "invalid_config",
      `the ${kind} router's contributions would reach ${footprint.contributionLength} values, over the ${MAX_CONTRIBUTION_LENGTH} a round can aggregate: choose a smaller router, embedder or model list`,
    );
  return success(null);
}

function setupOf(config: FederationConfig): KindSetup {
  return {
    models: config.models.map((m) => m.id),
    embedder: config.embedder,
    hyperparameters: config.router.hyperparameters,
    ...(config.tags?.length ? { tags: config.tags } : {}),
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
  // Before the state is built: a router too large to carry may be too large to build.
  const capacity = withinCapacity(name, kind.footprint(setup));
  if (!capacity.ok) return capacity;
  try {
    const algorithm = kind.algorithm();
    const initial = kind.initialState(setup);
    // A budget that affords one round only: that round must leave a router.
    const state = lastAffordableAfter(config, 0) && kind.lastPass ? kind.lastPass(initial) : initial;
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
  const { addModels, joinClients, lastPass } = kind;
  return success({
    kind: kind.name,
    algorithm: algorithm as FederatedAlgorithm<unknown, never>,
    checkTotal: (global, total, context) => kind.checkTotal(global, total, context),
    checkCapacity: (grown, grownConfig) =>
      withinCapacity(kind.name, kind.footprint(setupOf(grownConfig), algorithm.fromModelFile(grown))),
    ...(addModels && {
      addModels: (trained, models) =>
        algorithm.toModelFile(addModels.call(kind, algorithm.fromModelFile(trained), models)),
    }),
    ...(joinClients && {
      joinClients: (trained) =>
        algorithm.toModelFile(joinClients.call(kind, algorithm.fromModelFile(trained))),
    }),
    ...(lastPass && { lastPass: (global) => lastPass.call(kind, global) }),
  } satisfies FederationRouter);
}
