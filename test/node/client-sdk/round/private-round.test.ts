// A round with a privacy budget run by SDK clients over HTTP (the edge under wrangler dev): each
// client's participate() clips and adds its noise share before masking, the edge publishes the
// noised total, and the published model file states the spend, which the SDK reads.
import { describe, expect, it } from "vitest";
import type { ParticipationResult } from "../../../../client-sdk/src/index.ts";
import type { KMeansState } from "../../../../core/kmeans/state.ts";
import { modelPrivacy } from "../../../../core/privacy/model-privacy.ts";
import { findRouterKind } from "../../../../core/routers/registry.ts";
import { federationConfigSchema } from "../../../../core/wire/federation.ts";
import type { RoundSummary } from "../../../../core/wire/rounds.ts";
import { privacySpent } from "../../../../durable-objects/federation-privacy.ts";
import { edgeFederationConfig, federationOnEdge, SMALL_KMEANS } from "../support/edge.ts";
import { fixture } from "../support/fixture.ts";

const data = fixture();
const privacy = { epsilon: 100, delta: 1e-5, noiseMultiplier: 0.3, clipNorm: 10 };

describe("a private round through the SDK", () => {
  it("noises every client's contribution, publishes, and states the spend in the model file", async () => {
    const federation = await federationOnEdge(data, { ...SMALL_KMEANS, privacy });
    const trainers = await federation.trainers(data);
    const round = await federation.openRound();
    expect(round.privacy).toMatchObject({ noiseMultiplier: 0.3, clipNorm: 10, noiseShares: 3 });
    const results: ParticipationResult[] = await Promise.all(
      trainers
        .filter((t) => round.cohort.includes(t.clientId))
        .map((t) => t.participate({ round: round.round })),
    );
    expect(results.map((r) => r.noised)).toEqual(results.map(() => true));
    expect(results[0]!.privacySpent).toEqual({ epsilon: 0, delta: 1e-5, rounds: 0 });
    expect(results[0]!.outcome).toEqual({ kind: "published", version: 1 });
    const summary = await federation.owner.request<RoundSummary>(
      "GET",
      `/v1/federations/${federation.federationId}/rounds/${round.round}`,
      federation.ownerToken,
    );
    expect(summary.participants.maskedInput).toBe(results.length);
    const stated = modelPrivacy(await federation.modelFile(1));
    expect(stated?.rounds).toBe(1);
    expect(stated!.epsilon).toBeGreaterThan(0);
    expect(stated!.epsilon).toBeLessThanOrEqual(privacy.epsilon);
    // The owner's SDK-side view of the version: the API's spend is the file's.
    const versions = await federation.owner.request<{ version: number; privacy?: unknown }[]>(
      "GET",
      `/v1/federations/${federation.federationId}/models`,
      federation.ownerToken,
    );
    expect(versions.find((v) => v.version === 1)?.privacy).toEqual(stated);
  });

  it("makes the last round the budget affords K-means' statistics pass, so the federation ends with a router", async () => {
    // SMALL_KMEANS takes four rounds (Lloyd, power, Lloyd, statistics); this budget affords two.
    const options = { ...SMALL_KMEANS, privacy };
    const twoRounds = privacySpent(federationConfigSchema.parse(edgeFederationConfig(data, options)), 2)!;
    const federation = await federationOnEdge(data, {
      ...options,
      privacy: { ...privacy, epsilon: twoRounds.epsilon * 1.001 },
    });
    const trainers = await federation.trainers(data);
    expect(await federation.train(trainers)).toBe(2);
    const latest = await federation.latest();
    expect(latest.version).toBe(2);
    const file = await federation.modelFile(2);
    const kind = findRouterKind("kmeans")!;
    const state = kind.algorithm().fromModelFile(file) as KMeansState;
    // The clustering stopped at the one cluster of its first pass; the statistics came next.
    expect(state).toMatchObject({ phase: "done", size: 1 });
    expect(modelPrivacy(file)!.epsilon).toBeLessThanOrEqual(twoRounds.epsilon * 1.001);
    // An app routes with it.
    const decision = await trainers[0]!.route(data.benchmark.prompts[0]!);
    expect(data.benchmark.models).toContain(decision.model);
  });
});
