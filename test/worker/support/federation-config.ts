// The federation configuration the edge tests start from: the toy "mean" router kind
// (test/support/mean-kind.ts), two models, a 6-d embedder.
import type { KindSetup } from "../../../core/routers/kind.ts";
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
      // The platform's default minimum of survivors (wrangler.toml [vars]).
      minParticipants: 5,
      participationFraction: 1,
      deadlines: { advertiseKeys: 60, shareKeys: 60, maskedInput: 60, unmask: 60 },
    },
    // t = 4: a strict majority of each client and its 6 neighbours.
    secureAggregation: { threshold: 4, neighbourDegree: 6, curve: "X25519" },
    clipping: { min: -10, max: 10 },
    ...overrides,
  };
}

/**
 * Rounds that invite every one of `clients` clients, on the complete graph with the majority
 * threshold: small exact rounds whose sums tests compare with the plain simulation.
 */
export function wholeCohortRounds(clients: number) {
  return {
    roundPolicy: {
      cohortSize: clients,
      minParticipants: 5,
      participationFraction: 1,
      deadlines: { advertiseKeys: 60, shareKeys: 60, maskedInput: 60, unmask: 60 },
    },
    secureAggregation: {
      threshold: Math.floor(clients / 2) + 1,
      neighbourDegree: "complete" as const,
      curve: "X25519" as const,
    },
  };
}

/** What a configuration builds its router from, as the edge passes it to the kind. */
export function kindSetup(config: FederationConfigInput = federationConfig()): KindSetup {
  return {
    models: config.models.map((m) => m.id),
    embedder: config.embedder,
    hyperparameters: config.router.hyperparameters ?? {},
  };
}

/** The shape of a client's evaluations under a configuration: `queries` rows over its models. */
export function evaluationShape(queries: number, config: FederationConfigInput = federationConfig()) {
  return { queries, dimension: config.embedder.dimension, models: config.models.length };
}
