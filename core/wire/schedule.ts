// How a federation trains: when its owner opens each round (manual), or by itself from the clients
// that check in (continuous). Clients announce that they are available with a check-in that says
// nothing of their data beyond a coarse bucket of how many evaluations they hold.
import * as z from "zod";
import { longPollQuerySchema } from "./long-poll.ts";
import { clientRoundSchema } from "./rounds.ts";

/** A check-in lasts this long; the SDK checks in again at half of it. */
export const CHECK_IN_SECONDS = 120;

/**
 * Lower bounds of the evaluation-count buckets a check-in reports: 0, 1-9, 10-99, 100-999,
 * 1000-9999, 10000 and more. Coarse on purpose: the edge learns an order of magnitude, no more.
 */
export const EVALUATION_BUCKET_FLOORS = [0, 1, 10, 100, 1000, 10_000] as const;

/** The bucket (an index into EVALUATION_BUCKET_FLOORS) of an evaluation count. */
export function evaluationBucket(count: number): number {
  let bucket = 0;
  for (let i = 0; i < EVALUATION_BUCKET_FLOORS.length; i++)
    if (count >= EVALUATION_BUCKET_FLOORS[i]!) bucket = i;
  return bucket;
}

export const checkInSchema = z
  .object({
    /** evaluationBucket(the client's evaluation count): see EVALUATION_BUCKET_FLOORS. */
    evaluationBucket: z
      .number()
      .int()
      .min(0)
      .max(EVALUATION_BUCKET_FLOORS.length - 1),
  })
  .meta({ id: "CheckIn" });

export type CheckIn = z.infer<typeof checkInSchema>;

/** A check-in as a long poll: held until a round after `afterRound` (default 0) invites the client. */
export const checkInWaitSchema = longPollQuerySchema.extend({
  afterRound: z.coerce.number().int().min(0).max(1e9).optional().meta({
    description: "The last round this client took part in: only a later one answers a held check-in.",
  }),
});

export const checkInReceiptSchema = z
  .object({
    /** Until when the client counts as available (ISO time). */
    expiresAt: z.string(),
    /** When to check in again to stay available. */
    checkInAfterSeconds: z.number().int(),
    /** The round in progress that invites this client, or null. */
    invitedTo: z.number().int().nullable(),
    /** That round as the client sees it (what GET rounds/current would answer), so it need not ask. */
    invitation: clientRoundSchema.nullable().optional(),
  })
  .meta({ id: "CheckInReceipt" });

export type CheckInReceipt = z.infer<typeof checkInReceiptSchema>;

const seconds = z
  .number()
  .int()
  .min(1)
  .max(7 * 24 * 3600);

export const scheduleSchema = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("manual") }),
    z.object({
      kind: z.literal("continuous"),
      /** Checked-in clients a round waits for before it opens. */
      minClients: z.number().int().min(2).max(100_000),
      /** After this long with fewer, a round opens with those checked in (if the floors allow). */
      maxWaitSeconds: seconds,
      /** Trains again once clients report this many new evaluations since the last training. */
      retrainAfterEvaluations: z.number().int().min(1),
    }),
  ])
  .meta({
    id: "Schedule",
    description:
      "manual (the default): the owner opens every round. continuous: the edge opens rounds from checked-in clients, runs every pass of a training, publishes the final version, and trains again when enough new evaluations are reported.",
  });

export type Schedule = z.infer<typeof scheduleSchema>;

export const TRAINING_STATE = {
  MANUAL: "manual",
  WAITING: "waiting_for_clients",
  TRAINING: "training",
  TRAINED: "trained",
  PAUSED: "paused",
} as const;

export const trainingStatusSchema = z
  .object({
    schedule: scheduleSchema,
    state: z.enum(Object.values(TRAINING_STATE) as [string, ...string[]]),
    /** Clients whose check-in has not expired. */
    checkedIn: z.number().int(),
    /** Evaluations reported (by bucket floors) since the current or last training began. */
    newEvaluations: z.number().int(),
    /** Trainings completed by the schedule. */
    trainings: z.number().int(),
    /** Why the last attempt to open a round did not (null when it did). */
    lastRefusal: z.string().nullable(),
  })
  .meta({ id: "TrainingStatus" });

export type TrainingStatus = z.infer<typeof trainingStatusSchema>;
