// How long a stage waits for its stragglers. It closes at once when everyone it expects has
// answered (readyToClose), at its deadline at the latest, and in between once a quorum has
// answered and a grace period has passed: three times as long as the missing answers would take
// at the pace the quorum's came in (from the stage's first answer), at least 2 s. The pace, not the
// time since the stage opened: a stage that opens long before anyone can answer (advertise_keys
// waits for local training) would otherwise wait half its training time again for nobody.
// A late client then counts as a dropout, which k and t were chosen to survive
// (chooseParameters). Without this, one silent client in a cohort of a thousand holds each stage
// to its deadline. A dishonest server could drop clients anyway, so this gives it nothing.
import { participants, previousStage, type ServerState } from "./server-state.ts";
import { type ProtocolStage, STAGE } from "./stages.ts";

/** The share of the expected answers that starts the grace period, by default. */
export const DEFAULT_STAGE_QUORUM = 0.9;
/** How many times the missing answers' time at the quorum's pace the stage waits for them. */
const GRACE_FACTOR = 3;
const MIN_GRACE_MS = 2_000;

/** The stages the quorum applies to; unmask closes on its own rule (t shares of every secret). */
const QUORUM_STAGES: ReadonlySet<string> = new Set([
  STAGE.ADVERTISE_KEYS,
  STAGE.SHARE_KEYS,
  STAGE.MASKED_INPUT,
  STAGE.CONSISTENCY_CHECK,
]);

/** Answers the current stage expects: the cohort first, then those who answered the stage before. */
export function expectedAnswers(state: ServerState, cohortSize: number): number {
  const before = previousStage(state.stage as ProtocolStage);
  return before === undefined
    ? Math.min(cohortSize, state.config.maxClients)
    : participants(state, before).length;
}

/** Whether the quorum rule applies to the current stage (unmask closes on its own rule). */
export function hasQuorum(stage: string): boolean {
  return QUORUM_STAGES.has(stage);
}

/**
 * When a stage should close given its answers so far: earlier than `deadline` once `quorum` of
 * the `expected` answers are in, else `deadline` itself. `firstAnswerAt` starts the pace; when
 * unknown (the Round was evicted since), the stage's opening does, which only lengthens the grace.
 * Times are in ms.
 */
export function stragglerDeadline(at: {
  answered: number;
  expected: number;
  openedAt: number;
  firstAnswerAt?: number;
  now: number;
  deadline: number;
  quorum?: number;
}): number {
  const quorum = at.quorum ?? DEFAULT_STAGE_QUORUM;
  if (quorum >= 1 || at.answered < Math.ceil(quorum * at.expected)) return at.deadline;
  const span = Math.max(0, at.now - (at.firstAnswerAt ?? at.openedAt));
  const missing = Math.max(0, at.expected - at.answered);
  const grace = Math.max(MIN_GRACE_MS, (GRACE_FACTOR * span * missing) / Math.max(1, at.answered));
  return Math.min(at.deadline, at.now + grace);
}
