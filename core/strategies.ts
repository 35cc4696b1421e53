// The registry that maps a federation's router kind to the federated algorithm the edge runs for it.
// The edge only needs the aggregation side of the contract (length, finalize, done, model files),
// so every algorithm is held as a FederatedAlgorithm over its own global state.
import type { FederatedAlgorithm } from "./federated.ts";
import {
  addModels as addKMeansModels,
  federatedKMeans,
  initialKMeansState,
  type KMeansConfig,
  startJoin,
} from "./kmeans/federated.ts";
import { createFederatedMlp, initialMlpState } from "./mlp/federated.ts";
import { type LocalTrainer, type MlpConfigInput, mlpConfig } from "./mlp/index.ts";
import { mlpFromModelFile, mlpToModelFile } from "./mlp/router-file.ts";
import type { EmbedderInfo, ModelFile } from "./model-file.ts";

/** What a strategy is built from: a federation's models, embedder and router hyperparameters. */
export interface StrategySetup {
  models: readonly string[];
  embedder: EmbedderInfo;
  hyperparameters: Readonly<Record<string, number | string | boolean>>;
}

/** A router kind the edge can train: its first global model and its algorithm. */
export interface RouterStrategy {
  /** Refuses hyperparameters the kind cannot use (message for people), or undefined when fine. */
  checkHyperparameters(setup: StrategySetup): string | undefined;
  /** The global state before any round, as a model file (published as version 0). */
  initialModel(setup: StrategySetup): ModelFile;
  /** The algorithm whose finalize turns a round's total into the next global state. */
  algorithm(setup: StrategySetup): FederatedAlgorithm<unknown, never>;
  /**
   * A trained router that learns new models next (the passes that follow train only them), as a
   * model file; absent when the kind cannot grow this way.
   */
  addModels?(trained: ModelFile, models: readonly string[]): ModelFile;
  /** A trained router whose next rounds are new organisations joining; absent when unsupported. */
  joinClients?(trained: ModelFile): ModelFile;
}

type Hyperparameters = StrategySetup["hyperparameters"];

/** Picks the numeric hyperparameters a kind knows; anything else is reported as unknown. */
function numbers(
  hyperparameters: Hyperparameters,
  known: readonly string[],
): Record<string, number> | string {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(hyperparameters)) {
    if (!known.includes(key)) return `unknown hyperparameter "${key}" (known: ${known.join(", ")})`;
    if (typeof value !== "number" || !Number.isFinite(value))
      return `hyperparameter "${key}" must be a number`;
    out[key] = value;
  }
  return out;
}

const KMEANS_HYPERPARAMETERS = [
  "clusters",
  "lloydPasses",
  "powerPasses",
  "tolerance",
  "seed",
  "prior",
] as const;

function kmeansConfig(
  setup: StrategySetup,
): Partial<KMeansConfig> & Pick<KMeansConfig, "models" | "embedder"> {
  const picked = numbers(setup.hyperparameters, KMEANS_HYPERPARAMETERS);
  if (typeof picked === "string") throw new RangeError(picked);
  return { ...picked, models: [...setup.models], embedder: setup.embedder };
}

const kmeansStrategy: RouterStrategy = {
  checkHyperparameters(setup) {
    try {
      initialKMeansState(kmeansConfig(setup));
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  },
  initialModel: (setup) => federatedKMeans.toModelFile(initialKMeansState(kmeansConfig(setup))),
  algorithm: () => federatedKMeans as unknown as FederatedAlgorithm<unknown, never>,
  addModels: (trained, models) =>
    federatedKMeans.toModelFile(addKMeansModels(federatedKMeans.fromModelFile(trained), models)),
  joinClients: (trained) => federatedKMeans.toModelFile(startJoin(federatedKMeans.fromModelFile(trained))),
};

const MLP_NUMBERS = ["hidden", "dropout", "rounds", "fraction", "localEpochs", "batchSize", "seed"] as const;

function mlpInput(setup: StrategySetup): MlpConfigInput {
  const { weighting, ...rest } = setup.hyperparameters;
  const picked = numbers(rest, MLP_NUMBERS);
  if (typeof picked === "string") throw new RangeError(picked);
  if (weighting !== undefined && weighting !== "per-head" && weighting !== "fedavg") {
    throw new RangeError('hyperparameter "weighting" must be "per-head" or "fedavg"');
  }
  return {
    ...picked,
    ...(weighting ? { weighting } : {}),
    models: [...setup.models],
    embedder: setup.embedder,
  };
}

/**
 * The edge only aggregates: finalize averages the clients' deltas and never trains, so the
 * algorithm it holds has a trainer that refuses to run.
 */
const aggregateOnly: LocalTrainer = {
  async train() {
    throw new Error("the edge aggregates MLP rounds; local training runs in the clients");
  },
};

const mlpStrategy: RouterStrategy = {
  checkHyperparameters(setup) {
    try {
      mlpConfig(mlpInput(setup));
      return undefined;
    } catch (error) {
      return (error as Error).message;
    }
  },
  initialModel: (setup) => mlpToModelFile(initialMlpState(mlpInput(setup))),
  algorithm: () => createFederatedMlp(aggregateOnly) as unknown as FederatedAlgorithm<unknown, never>,
  addModels: (trained, models) =>
    mlpToModelFile(createFederatedMlp(aggregateOnly).addModels(mlpFromModelFile(trained), models)),
  joinClients: (trained) =>
    mlpToModelFile(createFederatedMlp(aggregateOnly).joinClients(mlpFromModelFile(trained))),
};

const strategies = new Map<string, RouterStrategy>([
  ["kmeans", kmeansStrategy],
  ["mlp", mlpStrategy],
]);

/** Registers a router kind (tests register small algorithms of their own). */
export function registerStrategy(kind: string, strategy: RouterStrategy): void {
  strategies.set(kind, strategy);
}

export function strategyFor(kind: string): RouterStrategy | undefined {
  return strategies.get(kind);
}

export function registeredKinds(): string[] {
  return [...strategies.keys()].sort();
}
