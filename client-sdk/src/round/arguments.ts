// participate()'s options, checked at the call.
import { requireArgument } from "../errors.ts";
import type { ParticipateOptions } from "./participate.ts";

const KEYS = new Set(["round", "random", "stopAfter", "onProgress", "signal", "timeoutMs", "waitForOutcome"]);
const STOP_POINTS = new Set(["advertise_keys", "share_keys", "masked_input"]);

export function checkParticipateArguments(options: unknown): asserts options is ParticipateOptions {
  requireArgument(
    typeof options === "object" && options !== null && !Array.isArray(options),
    "participate(): options must be an object",
  );
  for (const key of Object.keys(options))
    requireArgument(KEYS.has(key), `participate(): unknown option "${key}" (known: ${[...KEYS].join(", ")})`);
  const o = options as ParticipateOptions;
  requireArgument(
    o.round === undefined || (Number.isInteger(o.round) && o.round >= 1),
    `participate(): round must be an integer >= 1, got ${o.round}`,
  );
  requireArgument(
    o.random === undefined || typeof o.random === "function",
    "participate(): random must be a function",
  );
  requireArgument(
    o.stopAfter === undefined || STOP_POINTS.has(o.stopAfter),
    `participate(): stopAfter must be one of ${[...STOP_POINTS].join(", ")}`,
  );
  requireArgument(
    o.onProgress === undefined || typeof o.onProgress === "function",
    "participate(): onProgress must be a function",
  );
  requireArgument(
    o.signal === undefined ||
      (typeof o.signal === "object" &&
        o.signal !== null &&
        typeof o.signal.aborted === "boolean" &&
        typeof o.signal.addEventListener === "function"),
    "participate(): signal must be an AbortSignal",
  );
  requireArgument(
    o.timeoutMs === undefined || (typeof o.timeoutMs === "number" && o.timeoutMs > 0),
    `participate(): timeoutMs must be a number > 0 (Infinity: no limit), got ${o.timeoutMs}`,
  );
  requireArgument(
    o.waitForOutcome === undefined || typeof o.waitForOutcome === "boolean",
    "participate(): waitForOutcome must be a boolean",
  );
}
