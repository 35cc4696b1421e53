// The SDK's one error type: every failure carries a stable code an app can switch on.

/**
 * - `bad_argument`: the call's arguments are wrong (thrown at the call, before any I/O);
 * - `network`: the edge could not be reached (after the retries);
 * - `http`: the edge refused the request (4xx; `status` and `serverCode` say why);
 * - `server`: the edge failed (5xx after the retries) or answered something unreadable;
 * - `integrity`: a model's signature does not verify under the modelPublicKey option, its bytes do
 *   not match the SHA-256 the edge states, or they do not decode;
 * - `no_model`: no routable model is available yet;
 * - `embedder_mismatch`: a vector or embedder does not fit the router's embedder;
 * - `no_eligible_model`: the allow/deny lists or the cost cap leave no model;
 * - `store`: the evaluation store failed;
 * - `training`: local training or the contribution failed;
 * - `round`: the round went wrong for this client (aborted, excluded, protocol failure);
 * - `unsafe_round`: this client refused what the edge asked, sending nothing for it: a round below
 *   its privacy floors (threshold, cohort) or an unmask request that could expose an input;
 * - `timeout`: participate() ran past its timeout;
 * - `aborted`: the caller's AbortSignal fired.
 */
export type FedRouterErrorCode =
  | "bad_argument"
  | "network"
  | "http"
  | "server"
  | "integrity"
  | "no_model"
  | "embedder_mismatch"
  | "no_eligible_model"
  | "store"
  | "training"
  | "round"
  | "unsafe_round"
  | "timeout"
  | "aborted";

export class FedRouterError extends Error {
  override name = "FedRouterError";
  readonly code: FedRouterErrorCode;
  /** HTTP status and the edge's error code, when the edge answered with an error. */
  readonly status: number | undefined;
  readonly serverCode: string | undefined;
  constructor(
    code: FedRouterErrorCode,
    message: string,
    details: { status?: number; serverCode?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.status = details.status;
    this.serverCode = details.serverCode;
  }
}

/** Throws a bad_argument error unless the condition holds: checks run at the call. */
export function requireArgument(condition: unknown, message: string): asserts condition {
  if (!condition) throw new FedRouterError("bad_argument", message);
}
