// Client-level differential privacy for federations: the RDP accountant, the distributed discrete
// Gaussian each client adds inside secure aggregation, and a federation's ledger and budget.

export { noiseMultiplierFor, planEpsilon, type ReleasePlan } from "./calibration.ts";
/** The RDP accountant (dp_accounting's orders and conversion). */
export { deltaFromRdp, epsilonFromRdp, type PrivacyGuarantee } from "./conversion.ts";
export {
  cryptoUniformInteger,
  sampleDiscreteGaussian,
  seededUniformInteger,
  type UniformInteger,
} from "./discrete-gaussian.ts";
/** The distributed discrete Gaussian: accounting, exact sampling, clients' shares, calibration. */
export {
  type DistributedDiscreteGaussian,
  distributedDiscreteGaussianRdp,
  sumInflation,
} from "./distributed-discrete-gaussian.ts";
/** A federation's ledger of noised releases against its budget. */
export { affordable, type NoisedRelease, type PrivacyBudget, spent } from "./ledger.ts";
export { addNoiseShare, localNoiseVariance } from "./noise-share.ts";
export { DEFAULT_RDP_ORDERS } from "./orders.ts";
export { subsampledGaussianRdp } from "./subsampled-gaussian.ts";
