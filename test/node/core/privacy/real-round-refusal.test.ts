// A client protects itself: participate() refuses, before any training or message, a round whose
// privacy is weaker than the budget the federation declared at creation, and a model version that
// states a spend past that budget. Driven with an in-memory edge (no HTTP): only what participate()
// reads of it is answered, and any message sent fails the test.
import { describe, expect, it } from "vitest";
import type { EdgeApi } from "../../../../client-sdk/src/edge.ts";
import { FedRouterError } from "../../../../client-sdk/src/errors.ts";
import type { ModelSync } from "../../../../client-sdk/src/model/sync.ts";
import { type ParticipationContext, participate } from "../../../../client-sdk/src/round/participate.ts";
import { MemoryStore } from "../../../../client-sdk/src/store/store.ts";
import { withModelPrivacy } from "../../../../core/privacy/model-privacy.ts";
import { roundPrivacyOf } from "../../../../core/privacy/round-privacy.ts";
import type { LocalCompute } from "../../../../core/routers/kind.ts";
import { findRouterKind } from "../../../../core/routers/registry.ts";
import { DEFAULT_FLOORS } from "../../../../core/secagg/index.ts";
import type { PrivacySpec, RoundPrivacy } from "../../../../core/wire/privacy.ts";
import type { ClientRound } from "../../../../core/wire/rounds.ts";

const declared: PrivacySpec = { epsilon: 4, delta: 1e-5, noiseMultiplier: 2, clipNorm: 8 };
const models = [
  { id: "a", inputPrice: 1, outputPrice: 2 },
  { id: "b", inputPrice: 3, outputPrice: 4 },
];
const kmeans = findRouterKind("kmeans")!;
const file = kmeans.algorithm().toModelFile(
  kmeans.initialState({
    models: ["a", "b"],
    embedder: { id: "hashing-4", dimension: 4 },
    hyperparameters: {},
  }),
);

function roundWith(privacy: RoundPrivacy | undefined): ClientRound {
  return {
    federationId: `fed_${"0".repeat(32)}`,
    round: 1,
    secureAggregation: {
      roundId: "r1",
      curve: "X25519",
      maxClients: 6,
      threshold: 4,
      neighbourDegree: "complete",
      vectorLength: 6,
      clip: { min: -10, max: 10 },
      scale: 1000,
      maxWeight: 1,
    },
    modelVersion: 3,
    ...(privacy ? { privacy } : {}),
    stage: "advertise_keys",
    startedAt: new Date(0).toISOString(),
    endedAt: null,
    stageDeadline: null,
    participants: { advertiseKeys: 0, shareKeys: 0, maskedInput: 0, consistencyCheck: 0, unmask: 0 },
    dropouts: 0,
    outcome: null,
    inCohort: true,
    cohortSize: 6,
  };
}

function contextFor(round: ClientRound, modelFile = file): ParticipationContext {
  const edge = {
    currentRound: async () => round,
    send: async () => {
      throw new Error("a refused round must send nothing");
    },
  } as unknown as EdgeApi;
  const models = {
    version: async (version: number) => ({ version, sha256: "", round: null, file: modelFile }),
  } as unknown as ModelSync;
  return {
    clientId: "c1",
    edge,
    models,
    store: new MemoryStore(),
    embedderFor: async () => undefined,
    compute: () => {
      throw new Error("a refused round must not train");
    },
    pollIntervalMs: 1,
    longPollMs: 0,
    privacyFloors: DEFAULT_FLOORS,
    declaredPrivacy: async () => declared,
  };
}

async function refusal(context: ParticipationContext): Promise<FedRouterError> {
  const error = await participate(context, { timeoutMs: 5000 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FedRouterError);
  return error as FedRouterError;
}

describe("a client refuses a round weaker than the declared budget", () => {
  const faithful = roundPrivacyOf(declared, 4, models);

  it.each([
    ["no privacy block", undefined, /asks for no noise/],
    ["less noise", { ...faithful, noiseMultiplier: 1.9 }, /noise multiplier 1.9 is below the declared 2/],
    ["a looser clip", { ...faithful, clipNorm: 9 }, /clip norm 9 is above the declared 8/],
    [
      "noise split past the threshold",
      { ...faithful, noiseShares: 5 },
      /more than the round's threshold of 4/,
    ],
  ])("%s", async (_, privacy, message) => {
    const error = await refusal(contextFor(roundWith(privacy)));
    expect(error.code).toBe("unsafe_round");
    expect(error.message).toMatch(message);
  });

  it("takes part in a faithful round: it gets past the checks to its first message", async () => {
    // K-means trains without onnxruntime: its compute is asked for, never used.
    const context = { ...contextFor(roundWith(faithful)), compute: () => ({}) as LocalCompute };
    const error = await participate(context, { timeoutMs: 5000 }).catch((e) => e);
    expect(String(error?.message)).toMatch(/a refused round must send nothing/);
  });

  it("refuses a model version whose file states a spend past the budget", async () => {
    const overspent = withModelPrivacy(file, { epsilon: 4.5, delta: 1e-5, rounds: 3 });
    const error = await refusal(contextFor(roundWith(faithful), overspent));
    expect(error.code).toBe("unsafe_round");
    expect(error.message).toMatch(/states epsilon 4.5 spent, past the declared budget of 4/);
  });
});
