// The one failure shape of secure aggregation: a result union with a stable code (Durable Object RPC
// drops custom error fields, so nothing here throws across the API).

/** Stable failure codes; the edge maps them to HTTP statuses. */
export const SECAGG_ERROR = {
  INVALID_CONFIG: "invalid_config",
  INVALID_MESSAGE: "invalid_message",
  WRONG_ROUND: "wrong_round",
  WRONG_STAGE: "wrong_stage",
  UNKNOWN_CLIENT: "unknown_client",
  ROUND_FULL: "round_full",
  CONFLICTING_RESUBMISSION: "conflicting_resubmission",
  INVALID_SHARE: "invalid_share",
  INVALID_VECTOR: "invalid_vector",
  TOO_FEW_SURVIVORS: "too_few_survivors",
  PROTOCOL_VIOLATION: "protocol_violation",
  /** A client refuses a round or an unmask request below its privacy floors (floors.ts). */
  BELOW_FLOOR: "below_floor",
  /** The client's refusal to unmask: too few valid signatures over the survivor set it signed, or a request that contradicts it. */
  CONSISTENCY_CHECK_FAILED: "consistency_check_failed",
  RECONSTRUCTION_FAILED: "reconstruction_failed",
  NOT_DONE: "not_done",
  /** Not a failure of the protocol: the federation's owner stopped the round. */
  ABORTED_BY_OWNER: "aborted_by_owner",
} as const;

export type SecAggErrorCode = (typeof SECAGG_ERROR)[keyof typeof SECAGG_ERROR];

export interface SecAggFailure {
  ok: false;
  code: SecAggErrorCode;
  message: string;
}

export type SecAggResult<T> = { ok: true; value: T } | SecAggFailure;

export function fail(code: SecAggErrorCode, message: string): SecAggFailure {
  return { ok: false, code, message };
}
