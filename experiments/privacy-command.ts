// `fedrouter privacy`: epsilon of the Poisson-subsampled Gaussian mechanism run for some steps,
// from the RDP accountant (dp_accounting's default orders and conversion).
import { parseArgs } from "node:util";
import { epsilonFromRdp } from "../core/privacy/conversion.ts";
import { DEFAULT_RDP_ORDERS } from "../core/privacy/orders.ts";
import { subsampledGaussianRdp } from "../core/privacy/subsampled-gaussian.ts";

export const PRIVACY_USAGE = `usage: fedrouter privacy --sampling-rate <q> --noise-multiplier <z> --steps <n> --delta <d> [--json]

prints the epsilon for which n steps of the Poisson-subsampled Gaussian mechanism (each record
sampled with probability q, noise standard deviation z times the L2 sensitivity) are
(epsilon, delta)-DP, by the RDP accountant with dp_accounting's default orders; --json prints
{"epsilon": ..., "order": ...} with the Renyi order that gave it.

fedrouter privacy experiment --help: AUC against epsilon under client-level DP.`;

/** A bad flag: parseArgs's own code, so the CLI treats it as a usage error (exit 2). */
class PrivacyUsageError extends Error {
  override name = "PrivacyUsageError";
  readonly code = "ERR_PARSE_ARGS_INVALID_OPTION_VALUE";
}

function required(
  value: string | undefined,
  flag: string,
  check: (v: number) => boolean,
  what: string,
): number {
  if (value === undefined) throw new PrivacyUsageError(`--${flag} is required`);
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed) || !check(parsed))
    throw new PrivacyUsageError(`--${flag} got "${value}"; it must be ${what}`);
  return parsed;
}

/** Runs `fedrouter privacy` (or `fedrouter privacy experiment`) and returns what it prints. */
export async function privacyCommand(argv: readonly string[]): Promise<string> {
  if (argv[0] === "experiment") {
    const { privacyExperimentCommand } = await import("./privacy-experiment-command.ts");
    return privacyExperimentCommand(argv.slice(1));
  }
  return epsilonCommand(argv);
}

/** `fedrouter privacy --sampling-rate ...`: what it prints. */
export function epsilonCommand(argv: readonly string[]): string {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      "sampling-rate": { type: "string" },
      "noise-multiplier": { type: "string" },
      steps: { type: "string" },
      delta: { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) return PRIVACY_USAGE;
  const q = required(values["sampling-rate"], "sampling-rate", (v) => v >= 0 && v <= 1, "in [0, 1]");
  const z = required(values["noise-multiplier"], "noise-multiplier", (v) => v >= 0, "non-negative");
  const steps = required(
    values.steps,
    "steps",
    (v) => Number.isInteger(v) && v >= 0,
    "a non-negative integer",
  );
  const delta = required(values.delta, "delta", (v) => v > 0 && v < 1, "in (0, 1)");
  const rdp = subsampledGaussianRdp(q, z, DEFAULT_RDP_ORDERS).map((r) => r * steps);
  // Zero steps spend nothing (and 0 × Infinity would be NaN).
  if (steps === 0) rdp.fill(0);
  const { epsilon, order } = epsilonFromRdp(DEFAULT_RDP_ORDERS, rdp, delta);
  if (values.json) return JSON.stringify({ epsilon: Number.isFinite(epsilon) ? epsilon : null, order });
  return `epsilon ${epsilon} at delta ${delta} (Renyi order ${order})`;
}
