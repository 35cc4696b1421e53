// The MLP's inference graph with the weights as initializers: a standalone .onnx any ONNX
// runtime loads. Input features [batch, d]; outputs quality (sigmoid of the logit) and the
// normalised cost clamped to [-3, 3]; USD cost = max(0, expm1(c * sigma_m + mu_m)), with mu and
// sigma in the model's doc string (and in the fedrouter model file).
import { COST_CLAMP } from "../mlp/cost-normalisation.ts";
import { parameterLayout } from "../mlp/layout.ts";
import type { MlpRouter } from "../mlp/router-file.ts";
import { GraphBuilder } from "./graph-builder.ts";
import { forward, type WeightNames } from "./mlp-forward.ts";

export const INFERENCE_INPUT = "features";
export const INFERENCE_OUTPUTS = { quality: "quality", normalisedCost: "normalised_cost" } as const;

/** The inference graph's .onnx bytes for a trained router. */
export function inferenceModel(
  router: Pick<MlpRouter, "shape" | "params" | "costStats" | "models">,
): Uint8Array {
  const layout = parameterLayout(router.shape);
  const g = new GraphBuilder("mlp_router_inference");
  g.input(INFERENCE_INPUT, ["batch", router.shape.dimension]);
  const w = {} as WeightNames;
  for (const slot of layout.slots) {
    w[slot.name] = g.tensor(
      router.params.subarray(slot.offset, slot.offset + slot.length),
      slot.shape,
      slot.name,
    );
  }
  const f = forward(g, w, INFERENCE_INPUT, null);
  const m = router.shape.modelCount;
  g.output(g.op("Sigmoid", [f.qualityLogit]), INFERENCE_OUTPUTS.quality, ["batch", m]);
  const clamped = g.op("Clip", [f.costOutput, g.scalar(-COST_CLAMP), g.scalar(COST_CLAMP)]);
  g.output(clamped, INFERENCE_OUTPUTS.normalisedCost, ["batch", m]);
  const doc = {
    router: "fedrouter mlp",
    models: router.models,
    costMu: [...router.costStats.mu],
    costSigma: [...router.costStats.sigma],
    cost: "usd = max(0, expm1(normalised_cost * costSigma[m] + costMu[m]))",
  };
  return g.model(JSON.stringify(doc));
}
