// The platform's privacy floors: the fewest clients a round may invite, the fewest survivors a
// published sum may hold and the smallest Shamir threshold. They are worker variables (wrangler.toml [vars], or the deployed worker's
// settings), so only the operator, who deploys the worker, sets them: no owner request reaches them,
// and there is no route, store or token to guard. Changing them makes a new version of the worker.
import { DEFAULT_FLOORS, PROTOCOL_FLOORS, type PrivacyFloors } from "../core/secagg/index.ts";

/** The largest cohort a round policy allows. */
const HIGHEST = 1000;

/**
 * A floor from its variable, or the default when it is unset or not an integer from the protocol's
 * minimum to HIGHEST: a typo must not lower a floor.
 */
function floorOf(value: string | undefined, key: keyof PrivacyFloors): number {
  const parsed = Number(value);
  return value !== undefined &&
    Number.isInteger(parsed) &&
    parsed >= PROTOCOL_FLOORS[key] &&
    parsed <= HIGHEST
    ? parsed
    : DEFAULT_FLOORS[key];
}

/**
 * The floors the edge enforces, the operator's. Lowering one below the SDK's default only lets
 * federations be created that default clients still refuse: each client must lower its own too.
 */
export function platformFloors(
  env: Partial<Pick<Env, "SECAGG_MIN_COHORT" | "SECAGG_MIN_SURVIVORS" | "SECAGG_MIN_THRESHOLD">>,
): PrivacyFloors {
  return {
    minThreshold: floorOf(env.SECAGG_MIN_THRESHOLD, "minThreshold"),
    minCohort: floorOf(env.SECAGG_MIN_COHORT, "minCohort"),
    minSurvivors: floorOf(env.SECAGG_MIN_SURVIVORS, "minSurvivors"),
  };
}
