// The SDK's one error type: every failure carries a stable code an app can switch on.

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
  | "round"
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
