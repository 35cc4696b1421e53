// The MLP router (the paper's parametric router): what the harness and the SDK import.

export { ADAMW_DEFAULTS, type AdamWOptions } from "./adamw.ts";
export {
  type HeadWeighting,
  MLP_DEFAULTS,
  type MlpConfig,
  type MlpConfigInput,
  mlpConfig,
} from "./config.ts";
/** Data and normalisation */
export {
  type CostStats,
  costStatsContribution,
  costStatsFromTotals,
  denormaliseCost,
  normaliseCost,
} from "./cost-normalisation.ts";
export { DISTILLATION_WEIGHT, distillationLoss } from "./distillation.ts";
export { createFederatedMlp, type FederatedMlp, localTrainingOptions } from "./federated.ts";
export {
  type AddModelsOptions,
  addModels,
  type JoinClientsOptions,
  joinClients,
  newHeadsMask,
} from "./growth.ts";
/** Network, parameters and the reference */
export {
  flatten,
  headRanges,
  initialParameters,
  type MlpShape,
  type ParameterLayout,
  parameterLayout,
  unflatten,
} from "./layout.ts";
/** Training, local and federated */
export {
  type LocalTrainer,
  type LocalTrainingOptions,
  type LocalTrainingResult,
  runEpochs,
  type StepEngine,
} from "./local-training.ts";
export { predictMlp } from "./predict.ts";
export { maskedLoss, referenceForward, referenceGradients, trainingLoss } from "./reference.ts";
export { createReferenceTrainer, referenceStepEngine } from "./reference-trainer.ts";
/** The model file and prediction */
export {
  encodeMlpRouter,
  loadMlpRouter,
  type MlpRouter,
  mlpFromModelFile,
  mlpRouter,
  mlpToModelFile,
} from "./router-file.ts";
/** The federated state, its phases and its starting point */
export { initialMlpState, type MlpGrowth, type MlpState, mlpShape } from "./state.ts";
export { teacherPredictions } from "./teacher.ts";
export { checkTrainingSet, type MlpTrainingSet, mlpTrainingSet, observedPerModel } from "./training-set.ts";
