// What a published model file says about a federation's growth: the LLMs it is learning, which
// clients should evaluate on some of their queries until those passes end.
import { federatedKMeans } from "./kmeans/federated.ts";
import { mlpFromModelFile } from "./mlp/router-file.ts";
import type { ModelFile } from "./model-file.ts";

/** The models a router is learning after they were added to it (none once it is final). */
export function modelsBeingAdded(file: ModelFile): string[] {
  if (file.kind === "kmeans") {
    const state = federatedKMeans.fromModelFile(file);
    return state.phase === "extend" ? file.models.slice(file.models.length - (state.added ?? 0)) : [];
  }
  if (file.kind === "mlp") {
    const { growth } = mlpFromModelFile(file);
    return growth?.kind === "new-models" ? file.models.slice(growth.firstAdded) : [];
  }
  return [];
}
