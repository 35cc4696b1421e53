// A contribution as the client masks it. Without privacy: encoded with weight 1. With the round's
// privacy block (docs/privacy.md): clipped to its L2 norm in public units and divided into them
// (core/privacy/round-privacy.ts, the clip the simulation applies), encoded, then this client's
// share of the distributed discrete Gaussian added to every element but the weight, in the
// fixed-point domain and before masking, so the edge only ever unmasks a noised sum.
import type { ModelFile } from "../../../core/model-file.ts";
import { cryptoUniformInteger, type UniformInteger } from "../../../core/privacy/discrete-gaussian.ts";
import { addNoiseShare } from "../../../core/privacy/noise-share.ts";
import { noiseShareVariance, roundClip, toClippedUnits } from "../../../core/privacy/round-privacy.ts";
import type { Random } from "../../../core/random.ts";
import { type EncodedUpdate, type EncodingConfig, encode } from "../../../core/secagg/index.ts";
import type { RoundPrivacy } from "../../../core/wire/privacy.ts";
import { globalState } from "./contribution.ts";

export interface PrivateEncodingOptions {
  /**
   * The noise's uniform integers. Default: Web Crypto (cryptoUniformInteger). Only tests pass a
   * seeded source: seeded noise protects nobody.
   */
  uniform?: UniformInteger;
  /** Stochastic rounding's randomness. Default: Web Crypto (encode's default). */
  rounding?: Random;
}

/** The encoded contribution, noised when the round has privacy; `contribution` is changed in place. */
export function encodeForRound(
  file: ModelFile,
  contribution: Float64Array,
  config: EncodingConfig,
  privacy: RoundPrivacy | undefined,
  options: PrivateEncodingOptions = {},
): EncodedUpdate {
  const encodeWeightOne = (values: Float64Array) =>
    options.rounding ? encode(values, 1, config, options.rounding) : encode(values, 1, config);
  if (!privacy) return encodeWeightOne(contribution);
  const clip = roundClip(file.kind, globalState(file), contribution.length, privacy);
  const encoded = encodeWeightOne(toClippedUnits(contribution, clip));
  const variance = noiseShareVariance(privacy, config.scale, config.vectorLength);
  // Element 0 is the weight, which counts the clients and carries no noise.
  addNoiseShare(encoded.vector, variance, options.uniform ?? cryptoUniformInteger(), 1);
  return encoded;
}
