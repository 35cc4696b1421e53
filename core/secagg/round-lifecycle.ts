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
import { STAGE } from "./stages.ts";

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

/** What the federation asks of a round beyond the protocol's threshold t. */
export interface Quorum {
  /** Fewest masked inputs for the round to publish (fewer: a clean abort). */
  minParticipants: number;
  /** Clients the round was opened with (a smaller cohort lowers the minimum to its size). */
  cohortSize: number;
}

/** What the federation answered when given the unmasked total: the version it published, or a refusal. */
export type FederationAnswer =
  | { ok: true; value: { version: number } }
  | { ok: false; code: string; message: string };

/** A round that has just opened: in the protocol, not ended. */
export function openProgress(): RoundProgress {
  return { finish: FINISH.PROTOCOL, endedAt: null, outcome: null };
}

/**
 * Closes the round's current stage. The protocol aborts below t; on top of that, when masked_input
 * closes with fewer inputs than the quorum, the round aborts rather than publish a sum of too few.
 */
export async function closeRoundStage(
  state: ServerState,
  quorum: Quorum,
  mailbox: Mailbox,
): Promise<ServerTransition> {
  const closed = await closeStage(state, mailbox);
  if (!closed.ok || state.stage !== STAGE.UNMASK) return closed;
  const minimum = Math.min(quorum.minParticipants, quorum.cohortSize);
  const survivors = participants(state, STAGE.MASKED_INPUT).length;
  if (survivors >= minimum) return closed;
  return abortRound(
    state,
    SECAGG_ERROR.TOO_FEW_SURVIVORS,
    `only ${survivors} masked inputs arrived; the federation needs ${minimum}`,
  );
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
