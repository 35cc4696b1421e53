// Rounds of secure aggregation as the API shows them, and the client messages of each stage.
import * as z from "zod";
import { roundConfigSchema, serverMessageSchema } from "../secagg/index.ts";
// The outcome is the round lifecycle's own type; the API shows it as core/secagg defines it.
import { roundOutcomeSchema } from "../secagg/round-lifecycle.ts";
import { modelVersionSchema } from "./models.ts";
import { roundPrivacySchema } from "./privacy.ts";
import { clientIdSchema, federationIdSchema } from "./tokens.ts";

export const ROUND_STAGES = [
  "advertise_keys",
  "share_keys",
  "masked_input",
  "consistency_check",
  "unmask",
  "done",
  "aborted",
] as const;
export const roundStageSchema = z.enum(ROUND_STAGES);
export type RoundStage = z.infer<typeof roundStageSchema>;

export const roundNumberSchema = z.coerce.number().int().min(1).max(1e9);
export const roundParamsSchema = z.object({ federationId: federationIdSchema, round: roundNumberSchema });
/** A shard of a sharded round, numbered from 0 (a cohort of at most 1000 has fewer than 1000 shards). */
export const shardNumberSchema = z.coerce.number().int().min(0).max(999);
export const shardParamsSchema = roundParamsSchema.extend({ shard: shardNumberSchema });

/**
 * What an owner may send when opening a round. Without `cohort` the edge samples the cohort from
 * the round policy; with it the owner chooses (e.g. to follow a seeded schedule), and the edge
 * checks that every id is an active enrolled client, none repeats, and the size fits the policy.
 */
export const startRoundSchema = z
  .object({
    cohort: z.array(clientIdSchema).min(1).max(1000).optional(),
  })
  .meta({ id: "StartRound" });

const participantsSchema = z.object({
  advertiseKeys: z.number().int(),
  shareKeys: z.number().int(),
  maskedInput: z.number().int(),
  consistencyCheck: z.number().int(),
  unmask: z.number().int(),
});

/**
 * One shard of a sharded round: its own secure aggregation among its members, with its own
 * configuration (k and t for its size), stage, participants and end. Its outcome is its own (a
 * published one names the version its total went into); the round's outcome is the round's.
 */
export const roundShardSchema = z
  .object({
    shard: z.number().int().min(0),
    secureAggregation: roundConfigSchema,
    stage: roundStageSchema,
    /** When the shard's current stage closes (ISO time), or null once it ended. */
    stageDeadline: z.string().nullable(),
    cohort: z.array(z.string()),
    participants: participantsSchema,
    dropouts: z.number().int(),
    outcome: roundOutcomeSchema.nullable(),
  })
  .meta({ id: "RoundShard" });

export type RoundShard = z.infer<typeof roundShardSchema>;

export const roundSchema = z
  .object({
    federationId: federationIdSchema,
    round: z.number().int(),
    /** The secure-aggregation configuration clients need: round id, vector length, encoding, graph. */
    secureAggregation: roundConfigSchema,
    /** The model version every contribution of this round is computed against. */
    modelVersion: z.number().int(),
    /** With a privacy budget: the clip and noise each client applies before masking. */
    privacy: roundPrivacySchema.optional(),
    stage: roundStageSchema,
    startedAt: z.string(),
    endedAt: z.string().nullable(),
    /** When the current stage closes, whether or not everyone has answered (ISO time). */
    stageDeadline: z.string().nullable(),
    cohort: z.array(z.string()),
    /** Clients whose message each stage accepted (summed over the shards of a sharded round). */
    participants: participantsSchema,
    /** Cohort members that took part in an earlier stage and stopped before their input was summed. */
    dropouts: z.number().int(),
    outcome: roundOutcomeSchema.nullable(),
    /**
     * Present when the cohort was larger than the shard size: the shards, each its own secure
     * aggregation. Then `secureAggregation` is shard 0's and `stage` the least advanced shard's.
     */
    shards: z.array(roundShardSchema).optional(),
  })
  .meta({ id: "Round" });

export type RoundSummary = z.infer<typeof roundSchema>;

/**
 * A round as a client sees it: whether the client itself is in the cohort (the SDK finds its round
 * by it) and how many clients it holds (the SDK checks that against its floors), not who they are.
 * In a sharded round a member sees its own shard: `shard` names the Round it talks to
 * (`/rounds/{round}/shards/{shard}/...`), and the configuration, stage, participants and cohort
 * size are its shard's; the outcome is the round's.
 */
export const clientRoundSchema = roundSchema
  .omit({ cohort: true, shards: true })
  .extend({
    inCohort: z.boolean(),
    cohortSize: z.number().int().nonnegative(),
    /** The client's shard in a sharded round; absent (or null) in an unsharded one. */
    shard: z.number().int().min(0).nullable().optional(),
    /**
     * The version the round trains against, as the version list shows it (while the round runs),
     * so a client fetches its bytes without asking for the list.
     */
    model: modelVersionSchema.pick({ sha256: true, round: true, signature: true }).optional(),
  })
  .meta({ id: "ClientRound" });

export type ClientRound = z.infer<typeof clientRoundSchema>;

export const waitingMessageSchema = z
  .object({ type: z.literal("waiting"), stage: roundStageSchema, roundId: z.string(), clientId: z.string() })
  .meta({
    id: "Waiting",
    description: "Nothing to answer yet: the current stage has no message for this client.",
  });

/** What a stage message route answers; sending the same message again gets this same receipt. */
export const messageReceiptSchema = z
  .object({
    /** The protocol stage the message belongs to. */
    stage: roundStageSchema,
    clientId: z.string(),
    /** Hex SHA-256 of the accepted message (of the vector's bytes for a masked input). */
    digest: z.string(),
  })
  .meta({ id: "MessageReceipt" });

export type MessageReceipt = z.infer<typeof messageReceiptSchema>;

/**
 * What a stage route answers with `waitMs`: the receipt and, once a stage has ended, the client's
 * next message (core/wire/long-poll.ts), so it need not poll for it.
 */
export const receiptWithNextSchema = messageReceiptSchema
  .extend({ next: z.union([serverMessageSchema, waitingMessageSchema]).optional() })
  .meta({ id: "MessageReceiptWithNext" });
