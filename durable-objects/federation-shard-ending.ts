// How a sharded round ends, for its parent, the Federation object (federation-shards.ts has the
// rest): each shard's report recorded in the round's summary, a finished shard's total checked at
// its own scale and kept until every shard has ended, then one version published from the sum of
// the accepted totals (or the round aborted), and a round whose reports went missing reconciled.
// Run every method in the Federation's serial queue.
import { failure, type Result, success } from "../core/wire/errors.ts";
import { roundObjectName } from "../core/wire/ids.ts";
import type { RoundSummary } from "../core/wire/rounds.ts";
import { closeAbortedRound, settleReservation } from "./federation-ending.ts";
import { checkedModel, loadGlobal, putVersion } from "./federation-publishing.ts";
import {
  acceptedShards,
  allShardsEnded,
  combined,
  shardEntry,
  shardedResolution,
  shardTotalRefusal,
  withShard,
} from "./federation-shards.ts";
import type { FederationStore, PublishedVersion } from "./federation-store.ts";
import type { RoundUsage } from "./round-setup.ts";
import type { RoundTotal } from "./round-total.ts";

/** What ending a round needs of the Federation itself. */
export interface EndingHooks {
  /** Records the published version, the round's outcome and usage, and moves the pointer, at once. */
  movePointer(summary: RoundSummary, published: PublishedVersion, usage: RoundUsage): void;
  /** Brings a continuous schedule's alarm forward. */
  wakeSchedule(at: number): Promise<void>;
}

export class ShardedRoundEnding {
  readonly #store: FederationStore;
  readonly #env: Env;
  readonly #hooks: EndingHooks;

  constructor(store: FederationStore, env: Env, hooks: EndingHooks) {
    this.#store = store;
    this.#env = env;
    this.#hooks = hooks;
  }

  /**
   * A shard of the round in progress finished: its total, checked at its own scale, waits here
   * for the other shards (a repeat changes nothing); a refused one ends the shard as aborted.
   * Answers the version the round publishes when it does, which the shard records as its outcome.
   */
  async completed(
    known: RoundSummary,
    summary: RoundSummary,
    total: RoundTotal,
    usage: RoundUsage,
    shard: number,
  ): Promise<Result<{ version: number }>> {
    const entry = known.shards?.[shard];
    if (!entry) return failure("not_found", `round ${summary.round} has no shard ${shard}`);
    const version = this.#store.created().latestVersion + 1;
    if (entry.outcome?.kind === "aborted")
      return failure(
        "conflict",
        `shard ${shard} of round ${summary.round} has aborted: ${entry.outcome.message}`,
      );
    if (entry.outcome?.kind === "published") {
      // A retry: the round may still have to end (a transient failure the first time).
      await this.end(known);
      return success({ version });
    }
    const refusal = shardTotalRefusal(total, summary);
    if (refusal) {
      const aborted = { kind: "aborted", code: "implausible_total", message: refusal } as const;
      await this.reported(known, { ...summary, stage: "aborted", outcome: aborted }, shard, usage);
      return failure(aborted.code, refusal);
    }
    const accepted = withShard(
      known,
      shardEntry({ ...summary, outcome: { kind: "published", version } }, shard),
    );
    this.#store.transaction(() => {
      this.#store.shardTotals.saveTotal(summary.round, shard, total.sum, total.weightTotal);
      this.#store.shardTotals.saveBytes(summary.round, shard, usage.bytes);
      this.#store.saveRound(accepted);
    });
    await this.end(accepted);
    return success({ version });
  }

  /** A shard's progress or abort: its entry updated, and the round ended if it was the last. */
  async reported(
    known: RoundSummary,
    summary: RoundSummary,
    shard: number,
    usage: RoundUsage | undefined,
  ): Promise<void> {
    // A repeat (its first report's end of the round may have failed): try ending the round again.
    if (known.shards![shard]!.outcome) return this.end(known);
    const updated = withShard(known, shardEntry(summary, shard));
    this.#store.transaction(() => {
      if (usage) this.#store.shardTotals.saveBytes(summary.round, shard, usage.bytes);
      this.#store.saveRound(updated);
    });
    if (summary.outcome) await this.end(updated);
  }

  /**
   * Once every shard has ended: publishes one version from the sum of the accepted shards'
   * totals when they hold at least the round's minParticipants inputs (the round goes on without
   * a shard that aborted, whose members' inputs were never unmasked), else aborts the round.
   */
  async end(round: RoundSummary): Promise<void> {
    if (!allShardsEnded(round)) return;
    const record = this.#store.created();
    const accepted = acceptedShards(round);
    const participants = accepted.reduce((n, s) => n + s.participants.maskedInput, 0);
    const minimum = Math.min(record.config.roundPolicy.minParticipants, round.cohort.length);
    if (participants < minimum) {
      const aborted = accepted.length === round.shards!.length ? "" : " in the shards that finished";
      return this.abort(
        round,
        "too_few_survivors",
        `only ${participants} masked inputs${aborted}; the federation needs ${minimum}`,
      );
    }
    const loaded = await loadGlobal(this.#env.MODELS, record.id, record.config, record.latestVersion);
    if (!loaded.ok) return this.abort(round, loaded.code, loaded.message);
    const length = loaded.value.router.algorithm.contributionLength(loaded.value.global);
    const shards = accepted.map((s) => s.shard);
    const { sum } = this.#store.shardTotals.sum(round.round, shards, length);
    const bytes = checkedModel(loaded.value.router, loaded.value.global, sum, {
      participants,
      resolution: shardedResolution(accepted),
    });
    if (!bytes.ok) return this.abort(round, bytes.code, bytes.message);
    const version = record.latestVersion + 1;
    const published = await putVersion(this.#env, record.id, version, bytes.value, round.round);
    await settleReservation(this.#store, this.#env, round.round, participants);
    const ended = {
      ...round,
      endedAt: new Date().toISOString(),
      outcome: { kind: "published", version },
    } as const;
    const usage = { updates: participants, bytes: this.#store.shardTotals.bytes(round.round) };
    this.#hooks.movePointer(combined(ended, round.shards!), published, usage);
    this.#store.shardTotals.drop(round.round);
    await this.#hooks.wakeSchedule(Date.now());
  }

  async abort(round: RoundSummary, code: string, message: string): Promise<void> {
    const outcome = { kind: "aborted", code, message } as const;
    const ended = combined({ ...round, endedAt: new Date().toISOString(), outcome }, round.shards!);
    await closeAbortedRound(this.#store, this.#env, ended, {
      updates: 0,
      bytes: this.#store.shardTotals.bytes(round.round),
    });
    this.#store.shardTotals.drop(round.round);
    await this.#hooks.wakeSchedule(Date.now() + 1000);
  }

  /**
   * A sharded round the federation still counts as current: asks each running shard whether it
   * ended, in case a report of its abort went missing, and ends a round whose shards all ended but
   * whose end failed midway (e.g. KV).
   */
  async reconcile(current: RoundSummary): Promise<void> {
    for (const { shard, outcome } of current.shards!) {
      if (outcome) continue;
      const name = roundObjectName(current.federationId, current.round, shard);
      const ended = await this.#env.ROUNDS.getByName(name).finalReport();
      const known = this.#store.round(current.round)!;
      if (known.outcome) return;
      if (ended.ok && ended.value?.summary.outcome?.kind === "aborted")
        await this.reported(known, ended.value.summary, shard, ended.value.usage);
    }
    const known = this.#store.round(current.round)!;
    if (!known.outcome) await this.end(known);
  }
}
