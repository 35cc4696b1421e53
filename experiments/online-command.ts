// `fedrouter experiment --scenario online`: reads the scenario's options (as parseArgs gave them),
// runs it and renders its tables and plot. Kept apart from cli.ts so the scenario's options live
// with the scenario.
import type { Benchmark } from "../core/data/benchmark.ts";
import type { ExplorationPolicy } from "../core/exploration.ts";
import { EXPLORATION_POLICIES, POLICY_SETTINGS } from "../core/exploration.ts";
import {
  ONLINE_DEFAULTS,
  type OnlineOptions,
  type OnlineResult,
  onlineScenario,
  type PolicyName,
} from "./online.ts";
import { onlinePlotSvg, onlineRoundTable, onlineSummary } from "./online-report.ts";

/** The online scenario's flags, as strings from parseArgs. */
export interface OnlineFlags {
  batch?: string | undefined;
  "online-rounds"?: string | undefined;
  start?: string | undefined;
  "seed-share"?: string | undefined;
  lambda?: string | undefined;
  epsilon?: string | undefined;
  temperature?: string | undefined;
  runs?: string | undefined;
  "weight-clip"?: string | undefined;
  "final-trainings"?: string | undefined;
}

/** `--runs softmax:ips,greedy:none`: the (policy, weighting) pairs to run, in that order. */
function runsFlag(value: string | undefined): OnlineOptions["runs"] {
  if (value === undefined) return undefined;
  return value.split(",").map((pair) => {
    const [policy, weighting = "ips", ...rest] = pair.trim().split(":");
    if (
      rest.length > 0 ||
      !EXPLORATION_POLICIES.includes(policy as PolicyName) ||
      (weighting !== "ips" && weighting !== "none")
    )
      throw new RangeError(
        `--runs takes policy:weighting pairs (${EXPLORATION_POLICIES.join(" | ")} : ips | none), got "${pair}"`,
      );
    return { policy: policy as PolicyName, weighting };
  });
}

/** A flag's number, or a RangeError naming the flag (the CLI shows it as a usage error). */
function flag(value: string | undefined, name: string, check: (v: number) => boolean): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === "" || !Number.isFinite(parsed) || !check(parsed))
    throw new RangeError(`--${name} got "${value}", which is not valid here`);
  return parsed;
}

export function onlineOptions(
  common: Omit<
    OnlineOptions,
    | "batch"
    | "rounds"
    | "start"
    | "seedShare"
    | "lambda"
    | "policies"
    | "runs"
    | "weightClip"
    | "finalTrainings"
  >,
  flags: OnlineFlags,
): OnlineOptions {
  const start = flags.start ?? "first-version";
  if (start !== "first-version" && start !== "seed-set")
    throw new RangeError(`--start must be first-version or seed-set, got "${start}"`);
  const batch = flag(flags.batch, "batch", (v) => Number.isInteger(v) && v >= 1);
  const rounds = flag(flags["online-rounds"], "online-rounds", (v) => Number.isInteger(v) && v >= 1);
  const seedShare = flag(flags["seed-share"], "seed-share", (v) => v > 0 && v < 1);
  const lambda = flag(flags.lambda, "lambda", (v) => v >= 0);
  const epsilon = flag(flags.epsilon, "epsilon", (v) => v > 0 && v <= 1);
  const temperature = flag(flags.temperature, "temperature", (v) => v > 0);
  const weightClip = flag(flags["weight-clip"], "weight-clip", (v) => v >= 1);
  const runs = runsFlag(flags.runs);
  const finalTrainings = flag(
    flags["final-trainings"],
    "final-trainings",
    (v) => Number.isInteger(v) && v >= 1,
  );
  const policies: Partial<Record<"epsilon-greedy" | "softmax", ExplorationPolicy>> = {
    ...(epsilon !== undefined ? { "epsilon-greedy": { policy: "epsilon-greedy", epsilon } } : {}),
    ...(temperature !== undefined ? { softmax: { policy: "softmax", temperature } } : {}),
  };
  return {
    ...common,
    start,
    batch: batch ?? ONLINE_DEFAULTS.batch,
    rounds: rounds ?? ONLINE_DEFAULTS.rounds,
    ...(seedShare !== undefined ? { seedShare } : {}),
    ...(lambda !== undefined ? { lambda } : {}),
    ...(weightClip !== undefined ? { weightClip } : {}),
    ...(runs !== undefined ? { runs } : {}),
    ...(finalTrainings !== undefined ? { finalTrainings } : {}),
    policies: { ...POLICY_SETTINGS, ...policies },
  };
}

export async function runOnlineCommand(
  benchmark: Benchmark,
  options: OnlineOptions,
): Promise<{ result: OnlineResult; text: string; plot: string }> {
  const result = await onlineScenario(benchmark, options);
  return {
    result,
    text: `${onlineRoundTable(result)}\n\n${onlineSummary(result)}`,
    plot: onlinePlotSvg(result),
  };
}
