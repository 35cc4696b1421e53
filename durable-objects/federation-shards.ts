// Sharded rounds (docs/secure-aggregation.md, "Shards"): a cohort above the federation's shard size
// runs as near-equal shards, each a Round object of its own running secure aggregation among its
// members with k and t chosen for its size. The Federation is the parent: it keeps one round
// summary with an entry per shard, holds each finished shard's decoded total, and once every shard
// has ended publishes one version from the sum of the finished ones (or aborts the round). This
// file holds the pure parts and the opening; federation.ts routes the shards' reports here.
import {
  encodingScale,
  implausibleTotal,
  type PrivacyFloors,
  quantisationBound,
  roundBelowFloors,
  shardParameters,
  splitCohort,
  validateRoundConfig,
} from "../core/secagg/index.ts";
import { failure, type Result, success } from "../core/wire/errors.ts";
import { roundObjectName, secureRoundId } from "../core/wire/ids.ts";
import {
  type ClientRound,
  ROUND_STAGES,
  type RoundShard,
  type RoundStage,
  type RoundSummary,
} from "../core/wire/rounds.ts";
import type { RoundSetup } from "./round-setup.ts";
import type { RoundTotal } from "./round-total.ts";

/**
 * One Round setup per shard: the cohort split into consecutive shards of `sizes`, each with its
 * own round id, k and t for its size, encoding scale, and the platform's survivors as its quorum
 * (the round's minParticipants applies to the sum of the shards). Refused below the floors.
 */
export function shardSetups(
  setup: RoundSetup,
  sizes: readonly number[],
  floors: PrivacyFloors,
): Result<RoundSetup[]> {
  const setups: RoundSetup[] = [];
  for (const [shard, cohort] of splitCohort(setup.cohort, sizes).entries()) {
    const clients = cohort.length;
    const parameters = shardParameters(clients, floors);
    if (!parameters.ok) return failure("invalid_config", parameters.message);
    const below = roundBelowFloors({ ...parameters.value, clients }, floors);
    if (below) return failure("invalid_config", `shard ${shard}: ${below}`);
    const base = setup.secureAggregation;
    const config = validateRoundConfig({
      ...base,
      ...parameters.value,
      roundId: secureRoundId(setup.federationId, setup.round, shard),
      maxClients: clients,
      scale: encodingScale(clients, base.clip),
    });
    if (!config.ok) return failure("invalid_config", `shard ${shard}: ${config.message}`);
    setups.push({
      ...setup,
      secureAggregation: config.value,
      cohort,
      shard,
      minParticipants: floors.minSurvivors,
    });
  }
  return success(setups);
}

/**
 * Opens every shard's Round; the round's summary combines them. Should one refuse, the others
 * are left to abort at their first deadline (their report names a round the Federation never
 * recorded, which it refuses): aborting them from here would wait on the Federation's own queue.
 */
export async function openShards(env: Env, setups: readonly RoundSetup[]): Promise<Result<RoundSummary>> {
  const opened = await Promise.all(
    setups.map((setup) =>
      env.ROUNDS.getByName(roundObjectName(setup.federationId, setup.round, setup.shard)).open(setup),
    ),
  );
  const summaries: RoundSummary[] = [];
  for (const summary of opened) {
    if (!summary.ok) return summary;
    summaries.push(summary.value);
  }
  return success(combined(summaries[0]!, summaries.map(shardEntry)));
}

/** A shard as its round's summary lists it, from the summary its Round reports. */
export function shardEntry(summary: RoundSummary, shard: number): RoundShard {
  return {
    shard,
    secureAggregation: summary.secureAggregation,
    stage: summary.stage,
    stageDeadline: summary.stageDeadline,
    cohort: summary.cohort,
    participants: summary.participants,
    dropouts: summary.dropouts,
    outcome: summary.outcome,
  };
}

const rank = (stage: RoundStage) => ROUND_STAGES.indexOf(stage);

/**
 * The round's summary from its shards: the cohorts, participants and dropouts added up, the stage
 * of the least advanced shard still running (done or aborted once the round has its outcome),
 * the earliest of their stage deadlines, shard 0's configuration.
 */
export function combined(round: RoundSummary, shards: readonly RoundShard[]): RoundSummary {
  const running = shards.filter((s) => s.stage !== "aborted" && s.stage !== "done");
  const sum = (pick: (s: RoundShard) => number) => shards.reduce((n, s) => n + pick(s), 0);
  const deadlines = running.map((s) => s.stageDeadline).filter((d): d is string => d !== null);
  const outcome = round.outcome;
  const stage: RoundStage = outcome
    ? outcome.kind === "published"
      ? "done"
      : "aborted"
    : running.length > 0
      ? running.reduce((a, s) => (rank(s.stage) < rank(a) ? s.stage : a), running[0]!.stage)
      : shards.some((s) => s.stage === "done")
        ? "done"
        : "aborted";
  return {
    ...round,
    secureAggregation: shards[0]!.secureAggregation,
    stage,
    stageDeadline: outcome || deadlines.length === 0 ? null : deadlines.sort()[0]!,
    cohort: shards.flatMap((s) => s.cohort),
    participants: {
      advertiseKeys: sum((s) => s.participants.advertiseKeys),
      shareKeys: sum((s) => s.participants.shareKeys),
      maskedInput: sum((s) => s.participants.maskedInput),
      consistencyCheck: sum((s) => s.participants.consistencyCheck),
      unmask: sum((s) => s.participants.unmask),
    },
    dropouts: sum((s) => s.dropouts),
    outcome,
    shards: [...shards],
  };
}

/** The round with one shard's entry replaced by what its Round reported. */
export function withShard(round: RoundSummary, entry: RoundShard): RoundSummary {
  const shards = round.shards!.map((s) => (s.shard === entry.shard ? entry : s));
  return combined(round, shards);
}

/** Whether every shard has ended (its total accepted, or aborted): the round can end. */
export function allShardsEnded(round: RoundSummary): boolean {
  return round.shards!.every((s) => s.outcome !== null);
}

/** The shards whose totals the round adds: those the Federation accepted. */
export function acceptedShards(round: RoundSummary): RoundShard[] {
  return round.shards!.filter((s) => s.outcome?.kind === "published");
}

/**
 * The resolution of the sum of the accepted shards: each shard's stochastic rounding at its own
 * scale moves an element by less than participants / scale.
 */
export function shardedResolution(shards: readonly RoundShard[]): number {
  return shards.reduce(
    (r, s) => r + quantisationBound(s.participants.maskedInput, s.secureAggregation.scale),
    0,
  );
}

/**
 * Why a shard's decoded total cannot be the sum of its members' honest encodings (the same check
 * an unsharded round's total gets, at the shard's own scale), or undefined.
 */
export function shardTotalRefusal(total: RoundTotal, shard: RoundSummary): string | undefined {
  const config = shard.secureAggregation;
  if (total.sum.length !== config.vectorLength)
    return `total has ${total.sum.length} elements, expected ${config.vectorLength}`;
  return implausibleTotal(
    total.sum,
    total.weightTotal,
    { participants: shard.participants.maskedInput, weight: 1 },
    config,
  );
}

/**
 * A sharded round as a client sees it: a member sees its own shard (the Round it talks to, its
 * configuration, stage and size) and the round's outcome; anyone else only that it is not in it.
 */
export function clientShardView(summary: RoundSummary, clientId: string): ClientRound {
  const { cohort, shards, ...seen } = summary;
  const mine = shards!.find((s) => s.cohort.includes(clientId));
  if (!mine) return { ...seen, inCohort: false, cohortSize: cohort.length, shard: null };
  return {
    ...seen,
    secureAggregation: mine.secureAggregation,
    stage: mine.stage,
    stageDeadline: mine.stageDeadline,
    participants: mine.participants,
    dropouts: mine.dropouts,
    inCohort: true,
    cohortSize: mine.cohort.length,
    shard: mine.shard,
  };
}
