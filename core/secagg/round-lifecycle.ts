// A round as the edge runs it around the protocol: the federation's quorum when masked_input closes,
// then finishing (unmask the total chunk by chunk, report it to the federation) and the outcome. Pure
// transitions over plain JSON, so a Durable Object stores the progress and a test drives every step.
// Each transition keeps whatever else the caller stores beside the progress (its type parameter P).
import * as z from "zod";
import type { Mailbox } from "./mailbox.ts";
import { SECAGG_ERROR } from "./result.ts";
import type { ServerTransition } from "./server.ts";
import { abortRound, closeStage } from "./server-close.ts";
import { participants, type ServerState } from "./server-state.ts";
import { type ProtocolStage, STAGE, type Stage } from "./stages.ts";

/** Where a round is in finishing: still in the protocol, unmasking its total, reporting it, finished. */
export const FINISH = {
  PROTOCOL: "protocol",
  UNMASKING: "unmasking",
  REPORTING: "reporting",
  FINISHED: "finished",
} as const;

export type Finish = (typeof FINISH)[keyof typeof FINISH];

/** How a round ended: the model version it published, or why it aborted (the API shows it as is). */
export const roundOutcomeSchema = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("published"), version: z.number().int() }),
    z.object({ kind: z.literal("aborted"), code: z.string(), message: z.string() }),
  ])
  .meta({ id: "RoundOutcome" });

export type RoundOutcome = z.infer<typeof roundOutcomeSchema>;

/** The finishing side of a round, stored beside the protocol's ServerState. */
export interface RoundProgress {
  finish: Finish;
  /** When the round ended (ISO time); null while it runs. */
  endedAt: string | null;
  outcome: RoundOutcome | null;
}

/** What the federation and the platform ask of a round beyond the protocol's threshold t. */
export interface Quorum {
  /** Fewest masked inputs for the round to publish (fewer: a clean abort). */
  minParticipants: number;
  /** Clients the round was opened with (a smaller cohort lowers minParticipants to its size). */
  cohortSize: number;
  /** The platform's fewest survivors (the operator's floor): nothing lowers it. */
  minSurvivors: number;
}

/** What the federation answered when given the unmasked total: the version it published, or a refusal. */
export type FederationAnswer =
  | { ok: true; value: { version: number } }
  | { ok: false; code: string; message: string };

/** A round that has just opened: in the protocol, not ended. */
export function openProgress(): RoundProgress {
  return { finish: FINISH.PROTOCOL, endedAt: null, outcome: null };
}

/** The stage whose participants are the clients still in the round once the stage after it opened. */
const LIVE_AT: Partial<Record<Stage, { stage: ProtocolStage; did: string }>> = {
  [STAGE.SHARE_KEYS]: { stage: STAGE.ADVERTISE_KEYS, did: "advertised keys" },
  [STAGE.MASKED_INPUT]: { stage: STAGE.SHARE_KEYS, did: "shared keys" },
  [STAGE.CONSISTENCY_CHECK]: { stage: STAGE.MASKED_INPUT, did: "sent masked inputs" },
  [STAGE.UNMASK]: { stage: STAGE.CONSISTENCY_CHECK, did: "signed the survivor set" },
};

/**
 * Closes the round's current stage. The protocol aborts below t; on top of that the round aborts
 * as soon as fewer clients remain than the platform's minimum of survivors (it could never publish),
 * and when masked_input closes with fewer inputs than the quorum, rather than publish a sum of too few.
 */
export async function closeRoundStage(
  state: ServerState,
  quorum: Quorum,
  mailbox: Mailbox,
): Promise<ServerTransition> {
  const closed = await closeStage(state, mailbox);
  const live = LIVE_AT[state.stage];
  if (!closed.ok || !live) return closed;
  const remaining = participants(state, live.stage).length;
  if (remaining < quorum.minSurvivors)
    return abortRound(
      state,
      SECAGG_ERROR.TOO_FEW_SURVIVORS,
      `only ${remaining} clients ${live.did}; the platform's minimum is ${quorum.minSurvivors} survivors`,
    );
  // Only closing masked_input leads to consistency_check: the moment the inputs in the sum are known.
  if (state.stage !== STAGE.CONSISTENCY_CHECK) return closed;
  const minimum = Math.min(quorum.minParticipants, quorum.cohortSize);
  const survivors = participants(state, STAGE.MASKED_INPUT).length;
  if (survivors >= minimum) return closed;
  return abortRound(
    state,
    SECAGG_ERROR.TOO_FEW_SURVIVORS,
    `only ${survivors} masked inputs arrived; the federation needs ${minimum}`,
  );
}

/** The reason a round that its owner stopped gives, as its outcome and to the clients that poll it. */
export const OWNER_ABORT_MESSAGE = "aborted by the owner";

/**
 * The owner stops the round: it aborts (stageClosed then ends it) while it is still in the
 * protocol. Once the protocol is done the total is on its way to the federation, which may already
 * have published it, so the round is left to finish: false, and the state is unchanged.
 */
export function abortByOwner(progress: RoundProgress, state: ServerState): boolean {
  if (progress.finish !== FINISH.PROTOCOL || state.stage === STAGE.DONE || state.stage === STAGE.ABORTED)
    return false;
  abortRound(state, SECAGG_ERROR.ABORTED_BY_OWNER, OWNER_ABORT_MESSAGE);
  return true;
}

/** After a stage closed: a done protocol goes on to unmasking; an aborted one ends now, with its reason. */
export function stageClosed<P extends RoundProgress>(progress: P, state: ServerState, now: string): P {
  if (state.stage === STAGE.DONE)
    return { ...progress, finish: FINISH.UNMASKING, endedAt: null, outcome: null };
  if (state.stage === STAGE.ABORTED)
    return {
      ...progress,
      finish: FINISH.FINISHED,
      endedAt: now,
      outcome: { kind: "aborted", code: state.abort?.code ?? "aborted", message: state.abort?.message ?? "" },
    };
  return progress;
}

/** Every chunk of the total is unmasked: report it next. */
export function totalUnmasked<P extends RoundProgress>(progress: P): P {
  return { ...progress, finish: FINISH.REPORTING };
}

/** The report goes out: the round ends now, unless an earlier attempt already set its end. */
export function reportStarted<P extends RoundProgress>(progress: P, now: string): P {
  return { ...progress, endedAt: progress.endedAt ?? now };
}

/** The federation answered: published as a new version, or refused for good (the round aborts with its reason). */
export function totalReported<P extends RoundProgress>(progress: P, answer: FederationAnswer): P {
  return {
    ...progress,
    finish: FINISH.FINISHED,
    outcome: answer.ok
      ? { kind: "published", version: answer.value.version }
      : { kind: "aborted", code: answer.code, message: answer.message },
  };
}

/** Whether the round is between the protocol's end and its report (an evicted object resumes it). */
export function isFinishing(progress: RoundProgress): boolean {
  return progress.finish === FINISH.UNMASKING || progress.finish === FINISH.REPORTING;
}
