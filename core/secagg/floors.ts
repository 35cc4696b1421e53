// Privacy floors of a round, which nobody running the server can lower: the threshold must be a
// strict majority of every neighbourhood, and a round needs enough clients and survivors that the
// sum hides each input. The edge refuses configurations below them; the client refuses rounds and
// unmask requests below its own (docs/secure-aggregation.md, "Floors").
import { effectiveDegree } from "./graph.ts";

/** What a round must at least have; the edge has its own (the operator's), each client its own. */
export interface PrivacyFloors {
  /** Smallest Shamir threshold t (on top of the strict majority every round needs). */
  minThreshold: number;
  /** Fewest clients a round may invite. */
  minCohort: number;
  /** Fewest clients whose inputs a published sum may hold. */
  minSurvivors: number;
}

/**
 * The floors of the SDK and of an edge whose operator set none: with 5 survivors each input hides
 * among at least 4 others, and t = 3 is the majority of a complete 5-client round.
 */
export const DEFAULT_FLOORS: Readonly<PrivacyFloors> = Object.freeze({
  minThreshold: 3,
  minCohort: 5,
  minSurvivors: 5,
});

/**
 * The least secure aggregation means anything at, below which neither the operator nor an app may
 * set a floor: in a sum of 2 each contributor learns the other's input, and with t = 1 any one
 * neighbour holding a share gives a secret away.
 */
export const PROTOCOL_FLOORS: Readonly<PrivacyFloors> = Object.freeze({
  minThreshold: 2,
  minCohort: 3,
  minSurvivors: 3,
});

/**
 * The smallest threshold that is a strict majority of a neighbourhood of `neighbours` clients and
 * the client itself: then no two disjoint groups of neighbours reach t, so a server cannot ask one
 * group for a client's self-mask shares and the other for its mask-key shares.
 */
export function majorityThreshold(neighbours: number): number {
  return Math.floor((neighbours + 1) / 2) + 1;
}

/**
 * Why threshold t is not a strict majority of the largest neighbourhood a round of up to
 * `clients` clients has (k neighbours, or all others in the complete graph), or undefined.
 */
export function majorityShortfall(
  threshold: number,
  neighbourDegree: number | "complete",
  clients: number,
): string | undefined {
  const k = effectiveDegree(clients, neighbourDegree);
  const needed = majorityThreshold(k);
  if (threshold >= needed) return undefined;
  return (
    `threshold ${threshold} is not a strict majority of a neighbourhood of ${k + 1} clients ` +
    `(${k} neighbours and the client itself): it must be at least ${needed}`
  );
}

/** The round parameters the floors judge: threshold, graph and the most clients it may hold. */
export interface RoundShape {
  threshold: number;
  neighbourDegree: number | "complete";
  /** The most clients the round may hold (a round's maxClients, a federation's cohortSize). */
  clients: number;
}

/** Why a round of this shape is below the floors (majority, minThreshold, minCohort), or undefined. */
export function roundBelowFloors(shape: RoundShape, floors: PrivacyFloors): string | undefined {
  const majority = majorityShortfall(shape.threshold, shape.neighbourDegree, shape.clients);
  if (majority) return majority;
  if (shape.threshold < floors.minThreshold)
    return `threshold ${shape.threshold} is below the minimum threshold ${floors.minThreshold}`;
  if (shape.clients < floors.minCohort)
    return `a round of ${shape.clients} clients is below the minimum cohort of ${floors.minCohort}`;
  return undefined;
}
