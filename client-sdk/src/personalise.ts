// The hook for personalised routing: a personaliser turns the federation's predictor into this
// client's own (for example a mixture with a router trained on the client's data alone, as in
// core/personalisation.ts). The client builds it once per model version and routes with it
// when route() is asked for mode "personalised".
import type { EvaluationSet } from "../../core/data/evaluations.ts";
import type { ModelFile } from "../../core/model-file.ts";
import type { ModelPredictor } from "./model/predictor.ts";

export interface PersonalisationContext {
  /** The federation's model version being personalised. */
  version: number;
  file: ModelFile;
  /** The client's stored evaluations as a training set for this model (embedded on the device). */
  trainingSet(): Promise<EvaluationSet>;
}

export interface Personaliser {
  /** The personalised predictor for this model version (same models and embedder as `global`). */
  personalise(global: ModelPredictor, context: PersonalisationContext): Promise<ModelPredictor>;
}
