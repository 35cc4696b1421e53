// The hook for personalised routing: a personaliser turns the federation's predictor into this
// client's own (for example a mixture with a router trained on the client's data alone, as in
// core/personalisation.ts; adaptive-personaliser.ts is the built-in one). The client builds it once per model version and routes with it
// when route() is asked for mode "personalised".
import type { EvaluationSet } from "../../core/data/evaluations.ts";
import type { ModelFile } from "../../core/model-file.ts";
import type { LocalCompute } from "../../core/routers/kind.ts";
import type { ModelPredictor } from "./model/predictor.ts";

export interface PersonalisationContext {
  /** The federation's model version being personalised. */
  version: number;
  file: ModelFile;
  /** The client's stored evaluations as a training set for this model (embedded on the device). */
  trainingSet(): Promise<EvaluationSet>;
  /** The client's local compute (onnxruntime), for routers trained on the device. */
  compute: LocalCompute;
  /** A predictor for another model file, on the client's inference engine. */
  predictor(file: ModelFile): Promise<ModelPredictor>;
}

export interface Personaliser {
  /** The personalised predictor for this model version (same models and embedder as `global`). */
  personalise(global: ModelPredictor, context: PersonalisationContext): Promise<ModelPredictor>;
}
