// A federation with a differential-privacy budget, through the real routes: each round tells its
// clients the noise to add (split over the threshold), the clients add their shares as the SDK does,
// the edge publishes the noised totals with the cumulative spend in each version's model file, and
// refuses the round past the budget with 409 privacy_budget_exhausted.
import { describe, expect, it } from "vitest";
import { encodeForRound } from "../../../client-sdk/src/round/private-encoding.ts";
import { seededUniformInteger } from "../../../core/privacy/discrete-gaussian.ts";
import { modelPrivacy } from "../../../core/privacy/model-privacy.ts";
import { roundPrivacyOf } from "../../../core/privacy/round-privacy.ts";
import { seededRandom } from "../../../core/random.ts";
import { noiseTailBound } from "../../../core/secagg/index.ts";
import { federationConfigSchema } from "../../../core/wire/federation.ts";
import { privacySpent } from "../../../durable-objects/federation-privacy.ts";
import { meanAlgorithm } from "../../support/mean-kind.ts";
import { call, createFederation, createTenant, expectStatus } from "../support/api.ts";
import { federationConfig, wholeCohortRounds } from "../support/federation-config.ts";
import { latestModel, runRound } from "../support/rounds.ts";
import type { CraftedInput } from "../support/sim-client.ts";

const spec = { epsilon: 1, delta: 1e-5, noiseMultiplier: 2, clipNorm: 1 };
const rounds = wholeCohortRounds(6);
// A budget that two rounds fit and a third would overspend.
const config = federationConfigSchema.parse(federationConfig({ ...rounds, privacy: spec }));
const budget = { ...spec, epsilon: privacySpent(config, 2)!.epsilon * 1.001 };

describe("a federation with a privacy budget", () => {
  it("noises its rounds, states each version's spend in its model file, and refuses the round past the budget", async () => {
    expect(privacySpent({ ...config, privacy: budget }, 3)!.epsilon).toBeGreaterThan(budget.epsilon);
    const tenant = await createTenant();
    const handle = await createFederation(tenant, 6, { ...rounds, privacy: budget });
    const expected = roundPrivacyOf(budget, rounds.secureAggregation.threshold, config.models);
    const v0 = await latestModel(handle);
    expect(modelPrivacy(v0.file)).toEqual({ epsilon: 0, delta: 1e-5, rounds: 0 });

    for (const [r, drops] of [
      new Map(),
      new Map([[handle.clients[2]!.clientId, "share_keys" as const]]),
    ].entries()) {
      const { file } = await latestModel(handle);
      // Each client adds its noise share to a zero contribution, as participate() would encode it.
      const noised = (i: number): CraftedInput => ({
        crafted: (roundConfig) =>
          encodeForRound(file, new Float64Array(roundConfig.vectorLength), roundConfig, expected, {
            uniform: seededUniformInteger(seededRandom(100 * r + i + 1)),
          }).vector,
      });
      const ids = handle.clients.map((c) => c.clientId);
      const run = await runRound(handle, (id) => noised(ids.indexOf(id)), drops, r + 1);
      expect(run.summary.privacy).toEqual(expected);
      expect(run.summary.privacy?.noiseShares).toBe(4);
      // A client's view of the round carries the same block.
      const seen = await expectStatus(200, "GET", `/v1/federations/${handle.federationId}/rounds/${r + 1}`, {
        token: handle.clients[0]!.token,
      });
      expect(seen.privacy).toEqual(expected);
      expect(run.summary.outcome).toEqual({ kind: "published", version: r + 1 });
      expect(run.survivors.length).toBe(6 - drops.size);

      // The published counts are the survivors' noise: not all zero, and within the tail bound.
      const latest = await latestModel(handle);
      const state = meanAlgorithm.fromModelFile(latest.file);
      const scale = run.summary.secureAggregation.scale;
      const tail =
        noiseTailBound(
          {
            ...expected,
            shares: expected.noiseShares,
            dimension: run.summary.secureAggregation.vectorLength,
          },
          run.survivors.length,
          scale,
        ) / scale;
      expect([...state.count].some((c) => c !== 0)).toBe(true);
      for (const c of state.count) expect(Math.abs(c)).toBeLessThan(tail);
      // The spend in the model file is the one the API states.
      const versions = await expectStatus(200, "GET", `/v1/federations/${handle.federationId}/models`, {
        token: handle.ownerToken,
      });
      const listed = versions.find((v: { version: number }) => v.version === r + 1);
      expect(modelPrivacy(latest.file)).toEqual(listed.privacy);
      expect(listed.privacy.rounds).toBe(r + 1);
      expect(listed.privacy.epsilon).toBeLessThanOrEqual(budget.epsilon);
    }

    const federation = await expectStatus(200, "GET", `/v1/federations/${handle.federationId}`, {
      token: handle.ownerToken,
    });
    expect(federation.privacySpent.rounds).toBe(2);
    const refused = await call("POST", `/v1/federations/${handle.federationId}/rounds`, {
      token: handle.ownerToken,
    });
    expect({ status: refused.status, code: refused.body.error?.code }).toEqual({
      status: 409,
      code: "privacy_budget_exhausted",
    });
    expect(refused.body.error.message).toMatch(/privacy budget .* is spent: 2 rounds used epsilon/);
  });
});
