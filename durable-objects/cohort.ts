// Who is invited to a round: a uniform sample drawn by the edge, or a cohort the owner names
// (checked here against the enrolled clients and the round policy).
import type { PrivacyFloors } from "../core/secagg/index.ts";
import { failure, type Result, success } from "../core/wire/errors.ts";
import type { RoundPolicy } from "../core/wire/federation.ts";

/** A uniform sample of `size` ids (cohort choice is not secret, but crypto randomness is unbiased and free). */
export function sampleCohort(ids: readonly string[], size: number): string[] {
  const pool = [...ids];
  const random = new Uint32Array(pool.length);
  crypto.getRandomValues(random);
  for (let i = pool.length - 1; i > 0; i--) {
    const j = random[i]! % (i + 1);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, size).sort();
}

/**
 * Accepts an owner's cohort when every id is an active enrolled client, listed once, and the
 * size lies in [minParticipants, cohortSize] and reaches the platform's minimum cohort (an owner
 * holds every client token, so a smaller cohort of its own clients could isolate one client);
 * returns it sorted like a sampled cohort.
 */
export function checkCohort(
  cohort: readonly string[],
  clients: ReadonlyMap<string, { revoked: boolean }>,
  policy: Pick<RoundPolicy, "minParticipants" | "cohortSize">,
  floors: Pick<PrivacyFloors, "minCohort">,
): Result<string[]> {
  const seen = new Set<string>();
  for (const id of cohort) {
    if (seen.has(id)) return failure("invalid_cohort", `client ${id} is listed twice in the cohort`);
    seen.add(id);
    const client = clients.get(id);
    if (!client) return failure("invalid_cohort", `client ${id} is not enrolled in this federation`);
    if (client.revoked) return failure("invalid_cohort", `client ${id} is revoked`);
  }
  if (cohort.length < policy.minParticipants)
    return failure(
      "invalid_cohort",
      `a cohort needs at least minParticipants = ${policy.minParticipants} clients, got ${cohort.length}`,
    );
  if (cohort.length < floors.minCohort)
    return failure(
      "invalid_cohort",
      `a cohort needs at least the platform's minimum of ${floors.minCohort} clients, got ${cohort.length}`,
    );
  if (cohort.length > policy.cohortSize)
    return failure(
      "invalid_cohort",
      `a cohort has at most cohortSize = ${policy.cohortSize} clients, got ${cohort.length}`,
    );
  return success([...cohort].sort());
}
