// The federated MLP router's state and phases, shared by its passes (federated.ts), the way it
// grows (growth.ts) and its model file (router-file.ts).
import { seededRandom } from "../random.ts";
import { rowWidth } from "../routers/tags.ts";
import { type MlpConfig, type MlpConfigInput, mlpConfig } from "./config.ts";
import type { CostStats } from "./cost-normalisation.ts";
import { initialParameters, type MlpShape, parameterLayout } from "./layout.ts";

/**
 * stats -> train (rounds, each followed by a validate pass when validating) -> calibrate (with `calibrate`) -> done; then, to add models, new-model-stats -> new-model-heads
 * (rounds) -> done; or, for joining clients, join (rounds) -> done.
 */
export type MlpPhase =
  | "stats"
  | "train"
  | "validate"
  | "calibrate"
  | "done"
  | "new-model-stats"
  | "new-model-heads"
  | "join";

/** New models: heads from `firstAdded` on train, everything else is frozen. */
export interface NewModelsGrowth {
  kind: "new-models";
  firstAdded: number;
  rounds: number;
  round: number;
  localEpochs: number;
  learningRate: number;
}

/** New clients: rounds of joining-client training with distillation from `teacher`. */
export interface JoinGrowth {
  kind: "join";
  rounds: number;
  round: number;
  distillation: number;
  /** The frozen federation model's parameters at the time the clients joined. */
  teacher: Float32Array;
}

export type MlpGrowth = NewModelsGrowth | JoinGrowth;

/** With validation (validation.ts): what the server keeps between validation passes. */
export interface ValidationRecord {
  /** Lowest mean validation loss seen, and the weights that had it. */
  bestLoss: number;
  bestParams: Float32Array;
  /** Validation passes since the best. */
  sinceBest: number;
}

export interface MlpState {
  config: MlpConfig;
  phase: MlpPhase;
  /** Training rounds finished. */
  round: number;
  params: Float32Array;
  /** Known once the statistics pass is done. */
  costStats: CostStats | null;
  /** What the router is growing by, in the growth phases. */
  growth?: MlpGrowth | undefined;
  /** With validation: the best weights so far and their loss (validation.ts). */
  validation?: ValidationRecord | undefined;
}

export function mlpShape(config: MlpConfig): MlpShape {
  return {
    dimension: rowWidth(config.embedder.dimension, config.tags),
    hidden: config.hidden,
    modelCount: config.models.length,
  };
}

/** The public starting point: seeded initial weights, statistics pass first. */
export function initialMlpState(input: MlpConfigInput): MlpState {
  const config = mlpConfig(input);
  const layout = parameterLayout(mlpShape(config));
  return {
    config,
    phase: "stats",
    round: 0,
    params: initialParameters(layout, seededRandom(config.seed)),
    costStats: null,
  };
}
