// The federation configuration the edge tests start from: the "mean" router kind, 6-d embedder.
import type { FederationConfigInput } from "../../../core/wire/federation.ts";

export function federationConfig(overrides: Partial<FederationConfigInput> = {}): FederationConfigInput {
  return {
    name: "support triage",
    router: { kind: "mean", hyperparameters: { rounds: 5 } },
    models: [
      { id: "small-model", inputPrice: 0.1, outputPrice: 0.4 },
      { id: "large-model", inputPrice: 3, outputPrice: 15 },
    ],
    embedder: { id: "hashing-64", dimension: 6 },
    roundPolicy: {
      cohortSize: 12,
      minParticipants: 3,
      participationFraction: 1,
      deadlines: { advertiseKeys: 60, shareKeys: 60, maskedInput: 60, unmask: 60 },
    },
    secureAggregation: { threshold: 3, neighbourDegree: 6, curve: "X25519" },
    clipping: { min: -10, max: 10 },
    ...overrides,
  };
}
