// The platform's privacy floors: the fewest clients a round may invite and the fewest survivors a
// published sum may hold. They are worker variables (wrangler.toml [vars], or the deployed worker's
// settings), so only the operator, who deploys the worker, sets them: no owner request reaches them,
// and there is no route, store or token to guard. Changing them makes a new version of the worker.
import { DEFAULT_FLOORS, type PrivacyFloors } from "../core/secagg/index.ts";

/** Fewest clients an operator may ask for: in a sum of 2, each client learns the other's input. */
const LOWEST = 3;
/** The largest cohort a round policy allows. */
const HIGHEST = 1000;

/** A floor from its variable, or the default when it is unset or not an integer in [LOWEST, HIGHEST]. */
function floorOf(value: string | undefined, fallback: number): number {
  const parsed = Number(value);
  return value !== undefined && Number.isInteger(parsed) && parsed >= LOWEST && parsed <= HIGHEST
    ? parsed
    : fallback;
}

/** The floors the edge enforces: the operator's cohort and survivor minimums, and the SDK's minimum threshold. */
export function platformFloors(
  env: Partial<Pick<Env, "SECAGG_MIN_COHORT" | "SECAGG_MIN_SURVIVORS">>,
): PrivacyFloors {
  return {
    // Fixed, not configurable: the edge never accepts a threshold that a default SDK client refuses.
    minThreshold: DEFAULT_FLOORS.minThreshold,
    minCohort: floorOf(env.SECAGG_MIN_COHORT, DEFAULT_FLOORS.minCohort),
    minSurvivors: floorOf(env.SECAGG_MIN_SURVIVORS, DEFAULT_FLOORS.minSurvivors),
  };
}
