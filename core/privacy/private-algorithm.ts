// Client-level DP for any federated algorithm in simulation: each pass, every client's
// contribution is clipped to an L2 norm (after dividing each element by a public unit, so that
// sums of costs and of counts are noised on comparable scales), and the pass's sum gets the
// distributed discrete Gaussian in the fixed-point domain. The ledger records each pass as a
// release, accounted with the clients who contributed (the survivors).
//
// The simulation draws the sum's noise as one discrete Gaussian of the clients' total variance
// per element: Kairouz, Liu and Steinke show the sum of the clients' shares is within τ of it, and
// the accountant charges τ (distributed-discrete-gaussian.ts). The per-client shares, as a client
// over the network adds them before masking, are noise-share.ts (tested to sum to this variance).
import type { FederatedAlgorithm } from "../federated.ts";
import type { Random } from "../random.ts";
import { sampleDiscreteGaussian, seededUniformInteger } from "./discrete-gaussian.ts";
import type { NoisedRelease } from "./ledger.ts";

/** How a kind's contribution at a state is clipped: the L2 norm, and each element's public unit. */
export interface ContributionClip {
  /** L2 norm, in units, that one client's contribution is scaled down to when longer. */
  readonly norm: number;
  /** Element i is divided by units[i] before clipping and noise, multiplied back after; absent: 1. */
  readonly units?: Float64Array;
}

export interface ClientLevelPrivacy<Global> {
  /** Central noise standard deviation over the clip norm, for the pass at this state. */
  noiseMultiplier(global: Global): number;
  /** Fixed-point steps per unit (the secure-aggregation encoding's scale). */
  readonly scale: number;
  /** The clip of a pass at this global state. */
  clip(global: Global): ContributionClip;
  /** Post-processing of a noised total before the algorithm sees it (e.g. small-cell suppression). */
  afterNoise?(global: Global, total: Float64Array): Float64Array;
  /**
   * The next state given how many passes have been charged: a kind whose pass count depends on the
   * data steers its training to finish within the passes the noise was calibrated for.
   */
  withinPlan?(next: Global, passesCharged: number): Global;
  /** Seeded randomness of the simulated noise. */
  readonly random: Random;
}

/** Scales `vector` (in units) in place to L2 norm `norm` when it is longer. */
export function clipInUnits(vector: Float64Array, clip: ContributionClip): Float64Array {
  const { units } = clip;
  let squares = 0;
  for (let i = 0; i < vector.length; i++) squares += (vector[i]! / (units?.[i] ?? 1)) ** 2;
  const length = Math.sqrt(squares);
  if (!(length > clip.norm)) return vector;
  const factor = clip.norm / length;
  for (let i = 0; i < vector.length; i++) vector[i]! *= factor;
  return vector;
}

/**
 * `algorithm` with each contribution clipped and each pass's total noised; `ledger` receives one
 * release per pass. Dimension and sensitivity are in fixed-point units: the clip norm times the
 * scale, plus √d for stochastic rounding (Kairouz et al.'s bound on a rounded vector's norm).
 */
export function privatised<Global, ClientData>(
  algorithm: FederatedAlgorithm<Global, ClientData>,
  privacy: ClientLevelPrivacy<Global>,
  ledger: NoisedRelease[],
): FederatedAlgorithm<Global, ClientData> {
  const uniform = seededUniformInteger(privacy.random);
  let contributors = 0;
  return {
    ...algorithm,
    contributionLength: (global) => algorithm.contributionLength(global),
    async contribute(global, data, random) {
      const contribution = await algorithm.contribute(global, data, random);
      contributors++;
      return clipInUnits(contribution, privacy.clip(global));
    },
    finalise(global, total) {
      const clip = privacy.clip(global);
      const dimension = total.length;
      const sensitivity = clip.norm * privacy.scale + Math.sqrt(dimension);
      const clients = Math.max(1, contributors);
      contributors = 0;
      const centralVariance = (privacy.noiseMultiplier(global) * sensitivity) ** 2;
      const noised = Float64Array.from(total);
      for (let i = 0; i < dimension; i++) {
        const noise = Number(sampleDiscreteGaussian(centralVariance, uniform)) / privacy.scale;
        noised[i]! += noise * (clip.units?.[i] ?? 1);
      }
      ledger.push({
        l2Sensitivity: sensitivity,
        localStddev: Math.sqrt(centralVariance / clients),
        clients,
        dimension,
        samplingRate: 1,
      });
      const next = algorithm.finalise(
        global,
        privacy.afterNoise ? privacy.afterNoise(global, noised) : noised,
      );
      return privacy.withinPlan ? privacy.withinPlan(next, ledger.length) : next;
    },
  };
}
