// The edge finalising a noised round (durable-objects/federation-publishing.ts): an honest total of
// noise shares is published (the kind's exact checks, which no noised total meets, are not asked),
// a total past the clipping range widened by the noise's tail bound is still refused, and the new
// version's model file carries the stamp.
import { describe, expect, it } from "vitest";
import { encodeForRound } from "../../../client-sdk/src/round/private-encoding.ts";
import { decodeModelFile } from "../../../core/model-file.ts";
import { seededUniformInteger } from "../../../core/privacy/discrete-gaussian.ts";
import { modelPrivacy, withModelPrivacy } from "../../../core/privacy/model-privacy.ts";
import { roundEncodingScale } from "../../../core/privacy/round-privacy.ts";
import { seededRandom } from "../../../core/random.ts";
import { decode, noiseTailBound, type RoundConfig, sumEncoded } from "../../../core/secagg/index.ts";
import { federationConfigSchema } from "../../../core/wire/federation.ts";
import type { RoundSummary } from "../../../core/wire/rounds.ts";
import { roundPrivacy } from "../../../durable-objects/federation-privacy.ts";
import { finalisedModel } from "../../../durable-objects/federation-publishing.ts";
import { federationRouter, initialModel } from "../../../durable-objects/router-kind.ts";

const clients = 6;
const config = federationConfigSchema.parse({
  name: "noised",
  router: { kind: "kmeans", hyperparameters: { clusters: 2 } },
  models: [
    { id: "a", inputPrice: 0.1, outputPrice: 0.4 },
    { id: "b", inputPrice: 3, outputPrice: 15 },
  ],
  embedder: { id: "hashing-6", dimension: 6 },
  roundPolicy: {
    cohortSize: clients,
    minParticipants: 5,
    participationFraction: 1,
    deadlines: { advertiseKeys: 60, shareKeys: 60, maskedInput: 60, unmask: 60 },
  },
  secureAggregation: { threshold: 4, neighbourDegree: "complete", curve: "X25519" },
  clipping: { min: -10, max: 10 },
  privacy: { epsilon: 8, delta: 1e-5, noiseMultiplier: 1, clipNorm: 4 },
});
const router = federationRouter(config);
if (!router.ok) throw new Error(router.message);
const initial = initialModel(config);
if (!initial.ok) throw new Error(initial.message);
const file = initial.value.file;
const global = router.value.algorithm.fromModelFile(file);
const length = router.value.algorithm.contributionLength(global);
const privacy = roundPrivacy(config)!;
const secureAggregation: RoundConfig = {
  roundId: "noised-1",
  curve: "X25519",
  maxClients: clients,
  threshold: 4,
  neighbourDegree: "complete",
  vectorLength: length,
  clip: config.clipping,
  scale: roundEncodingScale(clients, config.clipping, privacy, length),
  maxWeight: 1,
};
const round = (
  withPrivacy: boolean,
): Pick<RoundSummary, "participants" | "secureAggregation" | "privacy"> => ({
  participants: {
    advertiseKeys: clients,
    shareKeys: clients,
    maskedInput: clients,
    consistencyCheck: clients,
    unmask: clients,
  },
  secureAggregation,
  ...(withPrivacy ? { privacy } : {}),
});

/** The decoded total of six clients' noise shares on zero contributions (fixed seeds). */
function noisedTotal() {
  const vectors = Array.from(
    { length: clients },
    (_, i) =>
      encodeForRound(file, new Float64Array(length), secureAggregation, privacy, {
        uniform: seededUniformInteger(seededRandom(i + 1)),
        rounding: seededRandom(i),
      }).vector,
  );
  const decoded = decode(sumEncoded(vectors, length + 1), secureAggregation.scale);
  return { sum: decoded.weightedSum, weightTotal: decoded.weightTotal };
}

describe("the edge finalising a noised round", () => {
  it("publishes an honest noised total with the stamp, which the kind's exact checks would refuse", () => {
    const total = noisedTotal();
    const stamp = { epsilon: 1.5, delta: 1e-5, rounds: 1 };
    const published = finalisedModel(router.value, global, total, round(true), (f) =>
      withModelPrivacy(f, stamp),
    );
    if (!published.ok) throw new Error(published.message);
    expect(modelPrivacy(decodeModelFile(published.value.bytes))).toEqual(stamp);
    // The same total as a round without privacy: its counts are not whole, so it is refused.
    const plain = finalisedModel(router.value, global, total, round(false));
    expect(plain.ok).toBe(false);
  });

  it("refuses a noised total past the clipping range widened by the noise's tail bound", () => {
    const total = noisedTotal();
    const noise = { ...privacy, shares: privacy.noiseShares, dimension: length };
    const tail = noiseTailBound(noise, clients, secureAggregation.scale) / secureAggregation.scale;
    total.sum[3] = clients * config.clipping.max + tail * 1.01;
    const refused = finalisedModel(router.value, global, total, round(true));
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.code).toBe("implausible_total");
      expect(refused.message).toMatch(/element 3 .* with their noise: a client skipped clipping/);
    }
    total.sum[3] = clients * config.clipping.max + tail * 0.99;
    expect(finalisedModel(router.value, global, total, round(true)).ok).toBe(true);
  });
});
