// A federation's configuration as clients and owners send it: router kind, models, embedder,
// tag vocabulary, round policy, secure-aggregation parameters and clipping range.
import * as z from "zod";
import { MAX_TAG_LENGTH, MAX_TAGS } from "../routers/tags.ts";
import { majorityShortfall, type PrivacyFloors } from "../secagg/floors.ts";
import { DEFAULT_SHARD_SIZE, smallestShard } from "../secagg/shards.ts";
import { privacySpecSchema, privacySpentSchema } from "./privacy.ts";
import { scheduleSchema, trainingStatusSchema } from "./schedule.ts";
import { federationIdSchema } from "./tokens.ts";

const seconds = z
  .number()
  .int()
  .min(1)
  .max(7 * 24 * 3600);

export const routerSpecSchema = z
  .object({
    /** Names a router kind of the registry (core/routers/registry.ts). */
    kind: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, "router kind: lowercase letters, digits and dashes"),
    /** The kind's hyperparameters; the strategy validates them. */
    hyperparameters: z
      .record(z.string().max(64), z.union([z.number(), z.string().max(200), z.boolean()]))
      .refine((h) => Object.keys(h).length <= 64, "at most 64 hyperparameters")
      .default({}),
  })
  .meta({ id: "RouterSpec" });

export const pricedModelSchema = z
  .object({
    id: z.string().min(1).max(200),
    /** US dollars per million input tokens. */
    inputPrice: z.number().nonnegative().max(1e6),
    /** US dollars per million output tokens. */
    outputPrice: z.number().nonnegative().max(1e6),
  })
  .meta({ id: "PricedModel" });

export const embedderSpecSchema = z
  .object({ id: z.string().min(1).max(200), dimension: z.number().int().min(1).max(16_384) })
  .meta({ id: "EmbedderSpec" });

/**
 * The context tags a federation's routers learn from (a feature, an endpoint, a category): each
 * widens every router input row by one 0/1 indicator, in this order (core/routers/tags.ts).
 * A refusal is `422 invalid_tags` (route-kit.ts).
 */
export const tagVocabularySchema = z
  .array(
    z
      .string()
      .min(1)
      .max(MAX_TAG_LENGTH)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the check is for control characters
      .regex(/^[^\u0000-\u001f\u007f]*$/, "a tag has no control characters"),
  )
  .max(MAX_TAGS)
  .refine((tags) => new Set(tags).size === tags.length, "tags must be unique")
  .meta({
    id: "TagVocabulary",
    description: `Context tags the routers learn from: at most ${MAX_TAGS} unique strings of 1 to ${MAX_TAG_LENGTH} characters, in the order of their indicators. Tags a client sends outside it are ignored.`,
  });

/** A body's fields whose refusal has a code of its own rather than invalid_request. */
export const FIELD_ERROR_CODES = { tags: "invalid_tags" } as const;

export const stageDeadlinesSchema = z
  .object({
    advertiseKeys: seconds,
    shareKeys: seconds,
    maskedInput: seconds,
    /** Optional (for federations made before the stage existed): the unmask deadline by default. */
    consistencyCheck: seconds.optional(),
    unmask: seconds,
  })
  .meta({
    id: "StageDeadlines",
    description: "Seconds each stage stays open before it closes without the missing clients.",
  });

export const roundPolicySchema = z
  .object({
    /** Most clients invited to one round. */
    cohortSize: z.number().int().min(2).max(1000),
    /** Fewest clients whose inputs must survive for the round to publish a model. */
    minParticipants: z.number().int().min(2).max(1000),
    /** Share of enrolled clients invited (the cohort is the smaller of this and cohortSize). */
    participationFraction: z.number().gt(0).max(1),
    deadlines: stageDeadlinesSchema,
    /**
     * Most clients per shard (default 256): a larger cohort runs as near-equal shards, each its own
     * secure aggregation, whose totals are added (docs/secure-aggregation.md, "Shards").
     */
    shardSize: z.number().int().min(3).max(1000).optional(),
    /**
     * Share of the answers a stage expects after which it stops waiting for stragglers: it closes
     * after a grace period (three times the missing answers' time at the quorum's pace, at least
     * 2 s) or at its deadline if sooner. 1 waits for every client or the deadline. Default 0.9
     * (docs/secure-aggregation.md).
     */
    stageQuorum: z.number().min(0.5).max(1).optional(),
  })
  .refine((p) => p.minParticipants <= p.cohortSize, "minParticipants must not exceed cohortSize")
  .meta({ id: "RoundPolicy" });

export const secureAggregationSpecSchema = z
  .object({
    /** Shamir threshold t: fewest surviving neighbours that can unmask a client. */
    threshold: z.number().int().min(1).max(999),
    /** Neighbours per client (even) or "complete". */
    neighbourDegree: z.union([z.number().int().min(2).max(998), z.literal("complete")]),
    curve: z.enum(["X25519", "P-256"]).default("X25519"),
  })
  .refine(
    (s) => s.neighbourDegree === "complete" || s.neighbourDegree % 2 === 0,
    "neighbourDegree must be even",
  )
  .refine(
    (s) => s.neighbourDegree === "complete" || s.threshold <= s.neighbourDegree,
    "threshold must not exceed neighbourDegree",
  )
  .meta({ id: "SecureAggregationSpec" });

export const clippingRangeSchema = z
  .object({ min: z.number().min(-1e9).max(1e9), max: z.number().min(-1e9).max(1e9) })
  .refine((c) => c.min < c.max, "clipping range needs min < max")
  .meta({
    id: "ClippingRange",
    description: "Contribution values outside [min, max] are clipped before encoding.",
  });

export const federationConfigSchema = z
  .object({
    name: z.string().min(1).max(100),
    router: routerSpecSchema,
    models: z
      .array(pricedModelSchema)
      .min(2)
      .max(64)
      .refine((m) => new Set(m.map((x) => x.id)).size === m.length, "model ids must be unique"),
    embedder: embedderSpecSchema,
    /** Absent: no tags, router rows are the embedding alone. */
    tags: tagVocabularySchema.optional(),
    roundPolicy: roundPolicySchema,
    secureAggregation: secureAggregationSpecSchema,
    clipping: clippingRangeSchema,
    /** Absent: manual, the owner opens every round. */
    schedule: scheduleSchema.optional(),
    /** Absent: no differential privacy beyond secure aggregation. */
    privacy: privacySpecSchema.optional(),
  })
  .refine(
    (c) => c.secureAggregation.threshold <= c.roundPolicy.cohortSize - 1,
    "secureAggregation.threshold must be at most roundPolicy.cohortSize - 1",
  )
  .refine(
    (c) => c.secureAggregation.threshold <= c.roundPolicy.minParticipants,
    "secureAggregation.threshold must not exceed roundPolicy.minParticipants",
  )
  // The budget charges a round at its one threshold of survivors, and clients split their noise
  // over it; a sharded round has a threshold per shard, which that accounting does not cover yet.
  .refine(
    (c) => !c.privacy || c.roundPolicy.cohortSize <= (c.roundPolicy.shardSize ?? DEFAULT_SHARD_SIZE),
    "a privacy budget needs unsharded rounds: roundPolicy.cohortSize must not exceed roundPolicy.shardSize (default 256)",
  )
  .meta({ id: "FederationConfig" });

/**
 * Why a federation's configuration is below the platform's privacy floors, or undefined. Checked
 * when it is created and when each round opens (the operator may have raised the floors since).
 */
export function federationBelowFloors(config: FederationConfig, floors: PrivacyFloors): string | undefined {
  const { threshold, neighbourDegree } = config.secureAggregation;
  const { cohortSize, minParticipants } = config.roundPolicy;
  const majority = majorityShortfall(threshold, neighbourDegree, cohortSize);
  if (majority) return `secureAggregation: ${majority} (with roundPolicy.cohortSize ${cohortSize})`;
  if (threshold < floors.minThreshold)
    return `secureAggregation.threshold ${threshold} is below the platform's minimum of ${floors.minThreshold}`;
  if (cohortSize < floors.minCohort)
    return `roundPolicy.cohortSize ${cohortSize} is below the platform's minimum cohort of ${floors.minCohort}`;
  if (minParticipants < floors.minSurvivors)
    return `roundPolicy.minParticipants ${minParticipants} is below the platform's minimum of ${floors.minSurvivors} survivors`;
  const { shardSize } = config.roundPolicy;
  // The server learns each shard's sum: a shard must hold at least the floors' cohort and survivors.
  if (shardSize !== undefined && shardSize < smallestShard(floors))
    return `roundPolicy.shardSize ${shardSize} is below the smallest shard the platform's floors allow, ${smallestShard(floors)} clients`;
  return undefined;
}

/**
 * How a trained federation grows: new LLMs join its model list (the next rounds learn only them),
 * or new organisations join (the next rounds are theirs: open them with those clients as the
 * cohort).
 */
export const growthSchema = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("add-models"), models: z.array(pricedModelSchema).min(1).max(16) }),
    z.object({ kind: z.literal("join-clients") }),
  ])
  .meta({ id: "Growth" });

export type Growth = z.infer<typeof growthSchema>;

export type FederationConfig = z.infer<typeof federationConfigSchema>;
export type FederationConfigInput = z.input<typeof federationConfigSchema>;
export type RoundPolicy = z.infer<typeof roundPolicySchema>;

export const usageSchema = z
  .object({
    roundsRun: z.number().int(),
    roundsAborted: z.number().int(),
    updatesAggregated: z.number().int(),
    bytesIngested: z.number().int(),
    modelsServed: z.number().int(),
  })
  .meta({ id: "Usage", description: "The ledger pay-per-use bills from." });

export type Usage = z.infer<typeof usageSchema>;

export const federationSchema = z
  .object({
    id: federationIdSchema,
    tenantId: z.string(),
    createdAt: z.string(),
    config: federationConfigSchema,
    latestVersion: z.number().int().nonnegative(),
    clientCount: z.number().int(),
    currentRound: z.number().int().nullable(),
    /** The schedule and where it stands. */
    training: trainingStatusSchema,
    usage: usageSchema,
    /** With a privacy budget: what the rounds behind the latest version have spent of it. */
    privacySpent: privacySpentSchema.optional(),
  })
  .meta({ id: "Federation" });

export type Federation = z.infer<typeof federationSchema>;

/** A federation as its clients see it: without the usage ledger, which is the owner's bill. */
export const clientFederationSchema = federationSchema.omit({ usage: true }).meta({ id: "ClientFederation" });

export type ClientFederation = z.infer<typeof clientFederationSchema>;

export const federationParamsSchema = z.object({ federationId: federationIdSchema });
