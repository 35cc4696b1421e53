// The server's state for one round: plain JSON (no vectors: the running total lives with the
// caller, in chunks; no sealed shares: they wait in the caller's Mailbox), plus read-only queries.
import type { RoundConfig } from "./config.ts";
import type { SecAggErrorCode } from "./result.ts";
import { PROTOCOL_STAGES, type ProtocolStage, STAGE, type Stage } from "./stages.ts";

export interface ServerClientRecord {
  /** Shamir point and ordering index, 1..n, assigned when advertising closes (0 before). */
  index: number;
  encryptionPublicKey: string;
  maskPublicKey: string;
  /** Ed25519 key with which the client signs the survivor set in the consistency check. */
  signingPublicKey: string;
  /** SHA-256 commitment to the self-mask seed (`selfMaskCommitment`), against which its rebuilt seed is checked. */
  selfMaskCommitment: string;
  neighbours: string[];
  /** The client's signature of the survivor set (stage consistency_check), forwarded to its neighbours. */
  survivorSignature?: string;
  /** Digest of the message accepted from this client at each stage: membership and idempotency in one. */
  received: Partial<Record<ProtocolStage, string>>;
}

/** One mask stream of the unmasking correction: AES-CTR seed and whether to add or subtract it. */
export interface CorrectionStream {
  seed: string;
  sign: 1 | -1;
}

/** What unmasking removes from the total: survivors' self masks and dropped clients' pairwise masks. */
export interface UnmaskPlan {
  /** Clients whose inputs are in the sum. */
  survivors: string[];
  /** Clients that shared keys but whose inputs are not in the sum. */
  dropped: string[];
  streams: CorrectionStream[];
}

export interface ServerState {
  /** 2: the sealed shares left the state for the Mailbox. */
  version: 2;
  config: RoundConfig;
  stage: Stage;
  /** Public seed of the neighbour graph's permutation. */
  graphSeed: number;
  clients: Record<string, ServerClientRecord>;
  /** Revealed shares by owner, then holder: self-mask shares of survivors, mask-key shares of the dropped. */
  revealed: Record<string, Record<string, string>>;
  plan?: UnmaskPlan;
  abort?: { code: SecAggErrorCode; message: string };
}

/** Clients whose message for a stage was accepted, in index order (id order before indices exist). */
export function participants(state: ServerState, stage: ProtocolStage): string[] {
  return Object.keys(state.clients)
    .filter((id) => state.clients[id]!.received[stage] !== undefined)
    .sort((a, b) => state.clients[a]!.index - state.clients[b]!.index || (a < b ? -1 : a > b ? 1 : 0));
}

/** The stage before a protocol stage (undefined for advertise_keys). */
export function previousStage(stage: ProtocolStage): ProtocolStage | undefined {
  return PROTOCOL_STAGES[PROTOCOL_STAGES.indexOf(stage) - 1];
}

/** The survivors and dropped clients among one client's neighbours, as the unmask stage sees them. */
export function neighbourhoodOutcome(
  state: ServerState,
  clientId: string,
): { survivors: string[]; dropped: string[] } {
  const record = state.clients[clientId]!;
  const live = record.neighbours.filter((id) => state.clients[id]!.received[STAGE.SHARE_KEYS] !== undefined);
  return {
    survivors: live.filter((id) => state.clients[id]!.received[STAGE.MASKED_INPUT] !== undefined),
    dropped: live.filter((id) => state.clients[id]!.received[STAGE.MASKED_INPUT] === undefined),
  };
}

/**
 * Cohort members missing from the last closed stage: for a finished round, those whose input is not
 * in the sum; for an aborted one, those missing from the furthest stage anyone reached.
 */
export function dropouts(state: ServerState, cohortSize: number): number {
  const count = (stage: ProtocolStage) => participants(state, stage).length;
  const missing =
    state.stage === STAGE.SHARE_KEYS
      ? cohortSize - count(STAGE.ADVERTISE_KEYS)
      : state.stage === STAGE.MASKED_INPUT
        ? cohortSize - count(STAGE.SHARE_KEYS)
        : state.stage === STAGE.CONSISTENCY_CHECK ||
            state.stage === STAGE.UNMASK ||
            state.stage === STAGE.DONE
          ? cohortSize - count(STAGE.MASKED_INPUT)
          : state.stage === STAGE.ABORTED
            ? cohortSize -
              (count(STAGE.MASKED_INPUT) || count(STAGE.SHARE_KEYS) || count(STAGE.ADVERTISE_KEYS))
            : 0;
  return Math.max(0, missing);
}
