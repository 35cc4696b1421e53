// `fedrouter privacy`: epsilon of the Poisson-subsampled Gaussian mechanism run for some steps,
// from the RDP accountant (dp_accounting's default orders and conversion).
import { epsilonFromRdp } from "../core/privacy/conversion.ts";
import { DEFAULT_RDP_ORDERS } from "../core/privacy/orders.ts";
import { subsampledGaussianRdp } from "../core/privacy/subsampled-gaussian.ts";
import { type OptionValues, UsageError } from "../operator/options.ts";
import type { PRIVACY_OPTIONS } from "./command-options.ts";

function required(
  value: string | undefined,
  flag: string,
  check: (v: number) => boolean,
  what: string,
): number {
  if (value === undefined) throw new UsageError(`--${flag} is required`);
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed) || !check(parsed))
    throw new UsageError(`--${flag} got "${value}"; it must be ${what}`);
  return parsed;
}

/** `fedrouter privacy --sampling-rate ...`: what it prints. */
export function epsilonCommand(values: OptionValues<typeof PRIVACY_OPTIONS> & { json: boolean }): string {
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
