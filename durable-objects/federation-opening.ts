// How a federation opens its next round: which clients it may invite (the owner's cohort checked,
// or any active client), how many, the secure-aggregation configuration the round runs; then it
// reserves the tenant's quota, starts the Round object and records the round as in progress. The
// platform's privacy floors bound all of it, whatever the owner asks.
import { roundEncodingScale } from "../core/privacy/round-privacy.ts";
import {
  DEFAULT_SHARD_SIZE,
  effectiveDegree,
  maxNeighbourDegree,
  type PrivacyFloors,
  type RoundConfig,
  roundBelowFloors,
  shardSizes,
  smallestShard,
  validateRoundConfig,
} from "../core/secagg/index.ts";
import { failure, type Result, success } from "../core/wire/errors.ts";
import { type FederationConfig, federationBelowFloors, type RoundPolicy } from "../core/wire/federation.ts";
import { roundObjectName, secureRoundId } from "../core/wire/ids.ts";
import type { RoundSummary } from "../core/wire/rounds.ts";
import { checkCohort, sampleCohort } from "./cohort.ts";
import { privacyRefusal, roundPrivacy } from "./federation-privacy.ts";
import { loadGlobal } from "./federation-publishing.ts";
import { openShards, shardSetups } from "./federation-shards.ts";
import type { ClientToken, FederationStore, StoredFederation } from "./federation-store.ts";
import { platformFloors } from "./platform-floors.ts";
import type { RoundSetup } from "./round-setup.ts";

/**
 * Opens the next round, or says why not. Run it in the Federation's serial queue: it awaits KV,
 * the Tenant and the Round, and two calls must not open the same round.
 */
export async function openRound(
  store: FederationStore,
  env: Env,
  cohort: readonly string[] | undefined,
  available?: Available,
): Promise<Result<RoundSummary>> {
  const record = store.created();
  if (record.currentRound !== null)
    return failure("conflict", `round ${record.currentRound} is still in progress`);
  // Read at every opening: a federation created under lower floors cannot run below raised ones.
  const floors = platformFloors(env);
  const below = federationBelowFloors(record.config, floors);
  if (below) return failure("invalid_config", below);
  const invited = invitees(store.clientTokens(), cohort, record.config.roundPolicy, floors, available);
  if (!invited.ok) return invited;
  const loaded = await loadGlobal(env.MODELS, record.id, record.config, record.latestVersion);
  if (!loaded.ok) return loaded;
  const { router, global } = loaded.value;
  if (router.algorithm.done(global))
    return failure("conflict", "training has finished: the latest model is final");
  const overspent = privacyRefusal(record.config, record.latestVersion);
  if (overspent) return failure("privacy_budget_exhausted", overspent);
  const round = record.nextRound;
  const length = router.algorithm.contributionLength(global);
  const secure = secureAggregationFor(record, round, invited.value, length, floors);
  if (!secure.ok) return secure;
  const setup = roundSetup(record, round, invited.value, secure.value, floors);
  // A cohort above the shard size runs as shards (federation-shards.ts); up to it, as one Round.
  const shardSize = record.config.roundPolicy.shardSize ?? DEFAULT_SHARD_SIZE;
  const sizes = shardSizes(setup.cohort.length, shardSize, smallestShard(floors));
  const shards = sizes.length > 1 ? shardSetups(setup, sizes, floors) : undefined;
  if (shards && !shards.ok) return shards;
  const tenant = env.TENANTS.getByName(record.tenantId);
  const key = { federationId: record.id, round };
  const reserved = await tenant.reserveUpdates(key, secure.value.maxClients);
  if (!reserved.ok) return reserved;
  // A round that did not open used none of its reservation: give it all back, whether the Round
  // refused or could not be reached (a later start of the same round reserves afresh).
  let opened: Result<RoundSummary>;
  try {
    opened = shards
      ? await openShards(env, shards.value)
      : await env.ROUNDS.getByName(roundObjectName(record.id, round)).open(setup);
  } catch (error) {
    await tenant.settleUpdates(key, 0);
    throw error;
  }
  if (!opened.ok) {
    await tenant.settleUpdates(key, 0);
    return opened;
  }
  store.transaction(() => {
    store.saveRound(opened.value);
    store.saveRecord({ ...record, nextRound: round + 1, currentRound: round });
  });
  return success(opened.value);
}

/**
 * Refuses a neighbour graph too dense for the policy's largest cohort (maxNeighbourDegree): its
 * rounds would hold n * k sealed and revealed shares and have every client mask k streams.
 */
export function checkNeighbourDegree(config: FederationConfig): Result<null> {
  const { cohortSize } = config.roundPolicy;
  const { neighbourDegree } = config.secureAggregation;
  const degree = effectiveDegree(cohortSize, neighbourDegree);
  const bound = maxNeighbourDegree(cohortSize);
  if (degree <= bound) return success(null);
  return failure(
    "invalid_config",
    `neighbourDegree ${neighbourDegree} gives each client of a cohort of up to ${cohortSize} ${degree} neighbours; ` +
      `at most ${bound} for that cohort size (SecAgg+ needs about log2 n): choose an even neighbourDegree of at most ${bound}, with a threshold above half of it`,
  );
}

/** Who a round may invite: the active clients, and the cohort the owner named (checked) if any. */
interface Invitees {
  active: ClientToken[];
  named: string[] | undefined;
}

/**
 * The clients a sampled cohort is drawn from. `only`: the checked-in ones (a schedule's rounds);
 * `prefer`: the checked-in ones when there are enough of them, else every active client (an
 * owner's round: before clients check in, it behaves as it always did).
 */
export interface Available {
  ids: ReadonlySet<string>;
  mode: "only" | "prefer";
}

function invitees(
  enrolled: readonly ClientToken[],
  named: readonly string[] | undefined,
  policy: RoundPolicy,
  floors: PrivacyFloors,
  available: Available | undefined,
): Result<Invitees> {
  const enrolledActive = enrolled.filter((c) => c.revokedAt === null);
  const checkedIn = available ? enrolledActive.filter((c) => available.ids.has(c.id)) : [];
  const wanted = Math.max(policy.minParticipants, floors.minCohort);
  const active =
    named === undefined && available && (available.mode === "only" || checkedIn.length >= wanted)
      ? checkedIn
      : enrolledActive;
  const checked =
    named === undefined
      ? undefined
      : checkCohort(
          named,
          new Map(enrolled.map((c) => [c.id, { revoked: c.revokedAt !== null }])),
          policy,
          floors,
        );
  if (checked && !checked.ok) return checked;
  const needed = Math.max(policy.minParticipants, floors.minCohort);
  if (active.length < needed)
    return failure(
      "conflict",
      available?.mode === "only"
        ? `a round needs at least ${needed} checked-in clients; ${active.length} are checked in`
        : `a round needs at least ${needed} enrolled clients; ${active.length} are enrolled`,
    );
  return success({ active, named: checked?.value });
}

/**
 * The round's secure-aggregation configuration: as many clients as the owner named, or the
 * policy's share of the active ones (at least minParticipants and the minimum cohort, at most
 * cohortSize). Refused below the floors (a strict majority threshold, the minimum cohort).
 */
function secureAggregationFor(
  federation: StoredFederation,
  round: number,
  invited: Invitees,
  vectorLength: number,
  floors: PrivacyFloors,
): Result<RoundConfig> {
  const { roundPolicy, secureAggregation, clipping } = federation.config;
  const privacy = roundPrivacy(federation.config);
  const active = invited.active.length;
  const wanted = Math.max(
    roundPolicy.minParticipants,
    floors.minCohort,
    Math.round(roundPolicy.participationFraction * active),
  );
  const size = invited.named ? invited.named.length : Math.min(roundPolicy.cohortSize, active, wanted);
  const below = roundBelowFloors(
    {
      threshold: secureAggregation.threshold,
      neighbourDegree: secureAggregation.neighbourDegree,
      clients: size,
    },
    floors,
  );
  if (below) return failure("invalid_config", below);
  // With a budget, the encoding leaves room for every client's noise share at its tail bound.
  const scale = roundEncodingScale(size, clipping, privacy, vectorLength);
  if (!(scale > 0))
    return failure(
      "invalid_config",
      `the privacy noise (noise multiplier ${privacy?.noiseMultiplier}) of ${size} clients leaves no room in the 32-bit encoding`,
    );
  const valid = validateRoundConfig({
    roundId: secureRoundId(federation.id, round),
    curve: secureAggregation.curve,
    maxClients: size,
    threshold: secureAggregation.threshold,
    neighbourDegree: secureAggregation.neighbourDegree,
    vectorLength,
    clip: clipping,
    scale,
    maxWeight: 1,
  } satisfies RoundConfig);
  return valid.ok ? success(valid.value) : failure("invalid_config", valid.message);
}

/** What the Round is opened with: the cohort (the named one, or a uniform sample) and its token hashes. */
function roundSetup(
  federation: StoredFederation,
  round: number,
  invited: Invitees,
  secureAggregation: RoundConfig,
  floors: PrivacyFloors,
): RoundSetup {
  const hashes = new Map(invited.active.map((c) => [c.id, c.tokenHash]));
  const cohort = invited.named ?? sampleCohort([...hashes.keys()], secureAggregation.maxClients);
  const { roundPolicy } = federation.config;
  const privacy = roundPrivacy(federation.config);
  return {
    federationId: federation.id,
    round,
    modelVersion: federation.latestVersion,
    secureAggregation,
    ...(privacy ? { privacy } : {}),
    cohort: cohort.map((clientId) => ({ clientId, tokenHash: hashes.get(clientId)! })),
    minParticipants: roundPolicy.minParticipants,
    minSurvivors: floors.minSurvivors,
    deadlines: roundPolicy.deadlines,
    ...(roundPolicy.stageQuorum === undefined ? {} : { stageQuorum: roundPolicy.stageQuorum }),
  };
}
