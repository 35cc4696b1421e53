// How a trained federation grows, before anything is stored: the next global model and the
// configuration it implies (the model list gains the new LLMs), or a failure for the owner.
import type { ModelFile } from "../core/model-file.ts";
import { failure, type Result, success } from "../core/wire/errors.ts";
import type { FederationConfig, Growth } from "../core/wire/federation.ts";
import type { FederationRouter } from "./router-kind.ts";

/** At most this many models in a federation (the configuration's own bound). */
const MAX_MODELS = 64;

export function grownModel(
  router: FederationRouter,
  global: unknown,
  config: FederationConfig,
  growth: Growth,
): Result<{ file: ModelFile; config: FederationConfig; final: boolean }> {
  const { algorithm, addModels, joinClients } = router;
  if (!algorithm.done(global))
    return failure("conflict", "the federation is still training: it can grow once its model is final");
  const trained = algorithm.toModelFile(global);
  const kind = config.router.kind;
  if (growth.kind === "add-models") {
    const known = new Set(config.models.map((m) => m.id));
    const ids = growth.models.map((m) => m.id);
    const clash = ids.filter((id, i) => known.has(id) || ids.indexOf(id) !== i);
    if (clash.length)
      return failure("invalid_config", `models already in the federation: ${clash.join(", ")}`);
    if (known.size + ids.length > MAX_MODELS)
      return failure("invalid_config", `a federation holds at most ${MAX_MODELS} models`);
    if (!addModels) return failure("invalid_config", `${kind} routers cannot add models`);
    return attempt(router, () => ({
      file: addModels(trained, ids),
      config: { ...config, models: [...config.models, ...growth.models] },
    }));
  }
  if (!joinClients) return failure("invalid_config", `${kind} routers cannot take joining rounds`);
  return attempt(router, () => ({ file: joinClients(trained), config }));
}

function attempt(
  { algorithm, checkCapacity }: FederationRouter,
  grow: () => { file: ModelFile; config: FederationConfig },
): Result<{ file: ModelFile; config: FederationConfig; final: boolean }> {
  let grown: { file: ModelFile; config: FederationConfig };
  try {
    grown = grow();
  } catch (error) {
    return failure("invalid_config", `cannot grow the router: ${(error as Error).message}`);
  }
  // A grown router holds more (models, clusters, a teacher): it must still fit what the platform carries.
  const capacity = checkCapacity(grown.file, grown.config);
  if (!capacity.ok) return capacity;
  return success({ ...grown, final: algorithm.done(algorithm.fromModelFile(grown.file)) });
}
