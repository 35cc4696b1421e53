// The MLP router's model file (kind "mlp"): named weight tensors, per-model cost statistics,
// the hyperparameters and the federated progress, in core/model-file.ts's container.
import {
  assertCompatible,
  decodeModelFile,
  type EmbedderInfo,
  encodeModelFile,
  type ModelFile,
  ModelFileError,
} from "../model-file.ts";
import { type MlpConfig, mlpConfig } from "./config.ts";
import type { CostStats } from "./cost-normalisation.ts";
import { flatten, type MlpShape, parameterLayout, unflatten } from "./layout.ts";
import {
  type JoinGrowth,
  type MlpGrowth,
  type MlpPhase,
  type MlpState,
  mlpShape,
  type NewModelsGrowth,
  type ValidationRecord,
} from "./state.ts";

export const MLP_KIND = "mlp";
/** Version of the "mlp" kind's meta and tensor naming. */
export const MLP_FILE_VERSION = 1;

interface MlpMeta {
  version: number;
  phase: MlpPhase;
  round: number;
  hyperparameters: Omit<MlpConfig, "models" | "embedder" | "tags">;
  /** In a growth phase: what is being added (a joining round's teacher is the "teacher" tensor). */
  growth?: NewModelsGrowth | Omit<JoinGrowth, "teacher">;
  /** With validation: the best loss so far (its weights are the "validation.best" tensor). */
  validation?: Omit<ValidationRecord, "bestParams">;
}

/** The weights with the lowest validation loss so far, while training validates. */
const BEST_TENSOR = "validation.best";

/** The frozen teacher's flat parameters while clients join. */
const TEACHER_TENSOR = "teacher";

/** What prediction needs: the network, its weights and the cost de-normalisation. */
export interface MlpRouter {
  shape: MlpShape;
  params: Float32Array;
  costStats: CostStats;
  models: string[];
  embedder: EmbedderInfo;
  /** The tag vocabulary whose indicators follow the embedding in each input row; absent: none. */
  tags?: string[];
}

export function mlpToModelFile(state: MlpState): ModelFile {
  const { models, embedder, tags, ...hyperparameters } = state.config;
  const layout = parameterLayout(mlpShape(state.config));
  const tensors: ModelFile["tensors"] = { ...unflatten(layout, state.params) };
  if (state.costStats) {
    tensors["cost.mu"] = state.costStats.mu.slice();
    tensors["cost.sigma"] = state.costStats.sigma.slice();
    if (state.costStats.count) tensors["cost.count"] = state.costStats.count.slice();
  }
  const meta: MlpMeta = {
    version: MLP_FILE_VERSION,
    phase: state.phase,
    round: state.round,
    hyperparameters,
  };
  if (state.growth?.kind === "join") {
    const { teacher, ...growth } = state.growth;
    meta.growth = growth;
    tensors[TEACHER_TENSOR] = teacher.slice();
  } else if (state.growth) {
    meta.growth = { ...state.growth };
  }
  if (state.validation) {
    const { bestParams, ...record } = state.validation;
    meta.validation = record;
    tensors[BEST_TENSOR] = bestParams.slice();
  }
  return {
    kind: MLP_KIND,
    embedder: { ...embedder },
    models: [...models],
    ...(tags?.length ? { tags: [...tags] } : {}),
    meta: { ...meta },
    tensors,
  };
}

export function mlpFromModelFile(file: ModelFile): MlpState {
  if (file.kind !== MLP_KIND)
    throw new ModelFileError("mismatch", `model file holds a ${file.kind} router, not mlp`);
  const meta = file.meta as Partial<MlpMeta>;
  if (meta.version !== MLP_FILE_VERSION) {
    throw new ModelFileError(
      "bad_version",
      `mlp router version ${meta.version}, this build reads ${MLP_FILE_VERSION}`,
    );
  }
  if (!meta.hyperparameters || !meta.phase)
    throw new ModelFileError("bad_header", "mlp router lacks hyperparameters");
  const config = mlpConfig({
    ...meta.hyperparameters,
    models: file.models,
    embedder: file.embedder,
    ...(file.tags?.length ? { tags: file.tags } : {}),
  });
  const layout = parameterLayout(mlpShape(config));
  let params: Float32Array;
  try {
    params = flatten(layout, file.tensors);
  } catch (error) {
    throw new ModelFileError(
      "bad_header",
      `mlp router weights do not fit its shape: ${(error as Error).message}`,
    );
  }
  const mu = file.tensors["cost.mu"];
  const sigma = file.tensors["cost.sigma"];
  const count = file.tensors["cost.count"];
  let costStats: CostStats | null = null;
  if (mu || sigma || count) {
    const m = file.models.length;
    if (mu?.length !== m || sigma?.length !== m || (count && count.length !== m)) {
      throw new ModelFileError("bad_header", `cost statistics must have one entry per model (${m})`);
    }
    costStats = {
      mu: Float64Array.from(mu),
      sigma: Float64Array.from(sigma),
      ...(count ? { count: Float64Array.from(count) } : {}),
    };
  }
  return {
    config,
    phase: meta.phase,
    round: meta.round ?? 0,
    params,
    costStats,
    growth: growthFromFile(meta, file, params.length),
    validation: validationFromFile(meta, file, params.length),
  };
}

function validationFromFile(
  meta: Partial<MlpMeta>,
  file: ModelFile,
  size: number,
): ValidationRecord | undefined {
  if (!meta.validation) return undefined;
  const best = file.tensors[BEST_TENSOR];
  if (best?.length !== size)
    throw new ModelFileError("bad_header", `a validating router needs its ${size} best parameters`);
  return { ...meta.validation, bestParams: Float32Array.from(best) };
}

function growthFromFile(meta: Partial<MlpMeta>, file: ModelFile, size: number): MlpGrowth | undefined {
  if (!meta.growth) return undefined;
  if (meta.growth.kind === "new-models") return { ...meta.growth };
  const teacher = file.tensors[TEACHER_TENSOR];
  if (teacher?.length !== size)
    throw new ModelFileError("bad_header", `a joining round needs the ${size} teacher parameters`);
  return { ...meta.growth, teacher: Float32Array.from(teacher) };
}

/** The router a trained state predicts with. */
export function mlpRouter(state: MlpState): MlpRouter {
  if (!state.costStats)
    throw new RangeError("the router has no cost statistics yet (statistics pass not run)");
  // Until their passes end, added models' heads predict quality 0.5 at a cost of 0 USD: a router
  // would pick them for everything.
  if (state.phase === "new-model-stats" || state.phase === "new-model-heads")
    throw new RangeError(
      `the router is learning models added to it (${state.phase}); route with the previous version`,
    );
  const { config } = state;
  return {
    shape: mlpShape(config),
    params: state.params,
    costStats: state.costStats,
    models: config.models,
    embedder: config.embedder,
    tags: config.tags ?? [],
  };
}

export function encodeMlpRouter(state: MlpState): Uint8Array {
  return encodeModelFile(mlpToModelFile(state));
}

/**
 * Reads a router file for use with the given embedder (and, if given, model list): refuses a
 * truncated file, another embedder or another model list with a ModelFileError.
 */
export function loadMlpRouter(
  source: Uint8Array | ModelFile,
  embedder: EmbedderInfo,
  models?: readonly string[],
): MlpRouter {
  const file = source instanceof Uint8Array ? decodeModelFile(source) : source;
  assertCompatible(file, embedder, models);
  return mlpRouter(mlpFromModelFile(file));
}
