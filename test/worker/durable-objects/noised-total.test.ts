// The edge finalising a noised round (durable-objects/federation-publishing.ts): an honest total of
// noise shares is published (the kind's exact checks, which no noised total meets, are not asked),
// a total past the clipping range widened by the noise's tail bound is still refused, and the new
// version's model file carries the stamp.
import { describe, expect, it } from "vitest";
import { encodeForRound } from "../../../client-sdk/src/round/private-encoding.ts";
import type { KMeansState } from "../../../core/kmeans/state.ts";
import { decodeModelFile } from "../../../core/model-file.ts";
import { seededUniformInteger } from "../../../core/privacy/discrete-gaussian.ts";
import { modelPrivacy, withModelPrivacy } from "../../../core/privacy/model-privacy.ts";
import { roundEncodingScale } from "../../../core/privacy/round-privacy.ts";
import { seededRandom } from "../../../core/random.ts";
import { decode, noiseTailBound, type RoundConfig, sumEncoded } from "../../../core/secagg/index.ts";
import { federationConfigSchema } from "../../../core/wire/federation.ts";
import type { RoundSummary } from "../../../core/wire/rounds.ts";
import {
  lastAffordableAfter,
  privacySpent,
  roundPrivacy,
} from "../../../durable-objects/federation-privacy.ts";
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

/** The decoded total of six clients' noise shares on `contribution` (zeros by default; fixed seeds). */
function noisedTotal(contribution = new Float64Array(length)) {
  const vectors = Array.from(
    { length: clients },
    (_, i) =>
      encodeForRound(file, Float64Array.from(contribution), secureAggregation, privacy, {
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
    const published = finalisedModel(router.value, global, total, round(true), {
      stamp: (f) => withModelPrivacy(f, stamp),
    });
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

  it("publishes the version before the budget's last round as a statistics pass, so that round leaves a router", () => {
    const decoded = (published: ReturnType<typeof finalisedModel>) => {
      if (!published.ok) throw new Error(published.message);
      return router.value.algorithm.fromModelFile(decodeModelFile(published.value.bytes)) as KMeansState;
    };
    // Version 0 is K-means' first Lloyd pass: each client sends its count, squared error and sum
    // (12 points around one direction, clipped in the round's units).
    expect(global).toMatchObject({ phase: "lloyd", size: 1 });
    const lloyd = Float64Array.from([12, 6, 9, 2, 1, 0, 0, 0]);
    // Its result goes on clustering (power iteration next)...
    expect(decoded(finalisedModel(router.value, global, noisedTotal(lloyd), round(true))).phase).toBe(
      "power",
    );
    // ...unless only one more round fits the budget: then that round gathers the statistics.
    const last = decoded(
      finalisedModel(router.value, global, noisedTotal(lloyd), round(true), { lastAffordable: true }),
    );
    expect(last).toMatchObject({ phase: "stats", size: 1 });
    expect(router.value.algorithm.contributionLength(last)).toBe(5 * 2);
  });

  it("knows the last round a budget affords from the versions published", () => {
    // A budget that two rounds fit and a third would overspend.
    const two = {
      ...config,
      privacy: { ...config.privacy!, epsilon: privacySpent(config, 2)!.epsilon * 1.001 },
    };
    expect([0, 1, 2, 3].map((version) => lastAffordableAfter(two, version))).toEqual([
      false,
      true,
      false,
      false,
    ]);
    expect(lastAffordableAfter({ ...config, privacy: undefined }, 1)).toBe(false);
    // A budget of one round: version 0 is already the statistics pass.
    const one = {
      ...config,
      privacy: { ...config.privacy!, epsilon: privacySpent(config, 1)!.epsilon * 1.001 },
    };
    const first = initialModel(one);
    if (!first.ok) throw new Error(first.message);
    expect(router.value.algorithm.fromModelFile(first.value.file)).toMatchObject({ phase: "stats", size: 1 });
  });
});
