// How long a stage waits for its stragglers. It closes at once when everyone it expects has
// answered (readyToClose), at its deadline at the latest, and in between once a quorum has
// answered and a grace period has passed: half as long again as the quorum took, at least 2 s.
// A late client then counts as a dropout, which k and t were chosen to survive
// (chooseParameters). Without this, one silent client in a cohort of a thousand holds each stage
// to its deadline. A dishonest server could drop clients anyway, so this gives it nothing.
import { participants, previousStage, type ServerState } from "./server-state.ts";
import { type ProtocolStage, STAGE } from "./stages.ts";

/** The share of the expected answers that starts the grace period, by default. */
export const DEFAULT_STAGE_QUORUM = 0.9;
const GRACE_FACTOR = 0.5;
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
 * the `expected` answers are in, else `deadline` itself. Times are in ms.
 */
export function stragglerDeadline(at: {
  answered: number;
  expected: number;
  openedAt: number;
  now: number;
  deadline: number;
  quorum?: number;
}): number {
  const quorum = at.quorum ?? DEFAULT_STAGE_QUORUM;
  if (quorum >= 1 || at.answered < Math.ceil(quorum * at.expected)) return at.deadline;
  const grace = Math.max(MIN_GRACE_MS, GRACE_FACTOR * Math.max(0, at.now - at.openedAt));
  return Math.min(at.deadline, at.now + grace);
}
