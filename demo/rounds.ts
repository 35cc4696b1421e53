// Runs a federation's secure rounds over the edge the way `fedrouter experiment` simulates them:
// pass p is round p + 1, its cohort is the schedule's participants for the experiment's seed, and
// each participant trains with the schedule's random stream for (p, its index). The edge learns
// only the sum of the masked inputs, which is the sum the simulation adds in plain.
import type { ParticipateOptions, ParticipationResult } from "../client-sdk/src/index.ts";
import { roundSchedule } from "../core/federated.ts";
import type { KindSetup } from "../core/routers/kind.ts";
import { routerKind } from "../core/routers/registry.ts";
import type { RoundSummary } from "../core/wire/rounds.ts";
import { getRound, latestModel, type Owner, openRound } from "../operator/owner-api.ts";
import { roundsLeft } from "../operator/rounds-left.ts";
import type { Organisation } from "./organisations.ts";

type StopPoint = NonNullable<ParticipateOptions["stopAfter"]>;

/**
 * A fault drill that leaves the round's sum as the experiment computes it. A participant that
 * stops after its masked input is still summed (its neighbours' shares unmask it); a spare cohort
 * member (outside the schedule's participants) that stops after sharing its keys never adds an
 * input, and the edge removes its pairwise masks from the others' through its shares.
 */
export interface Drop {
  pass: number;
  stopAfter: StopPoint;
  /** Add a non-participant to the cohort to drop, rather than drop a participant. */
  spare: boolean;
}

/**
 * The demo's drills for a training whose usual pass takes `fraction` of the organisations. Where
 * every organisation joins (K-means) a participant goes silent after its masked input in round 3;
 * where a pass samples a cohort (the MLP) a spare member joins round 2 and goes silent after
 * sharing its keys.
 */
export function dropoutDrills(fraction: number): Drop[] {
  return fraction < 1
    ? [{ pass: 1, stopAfter: "share_keys", spare: true }]
    : [{ pass: 2, stopAfter: "masked_input", spare: false }];
}

export interface RoundRecord {
  round: number;
  pass: number;
  /** Organisation indices in the cohort, and those the schedule has contribute. */
  cohort: number[];
  participants: number[];
  dropped: { organisation: number; stopAfter: StopPoint }[];
  /** Published model version. */
  version: number;
  /** What the edge counted as dropouts (cohort members whose input is not in the sum). */
  dropouts: number;
  /** Contribution values clipped before encoding, over the round's participants (should be 0). */
  clipped: number;
  /** The phase of training the published model is in, for people. */
  phase: string;
  seconds: number;
}

export interface FederationRun {
  kind: string;
  owner: Owner;
  federationId: string;
  setup: KindSetup;
  organisations: readonly Organisation[];
  seed: number;
  /** Share of organisations per pass (the experiment's). */
  fraction: number;
  drops: readonly Drop[];
  /** Bound on one round, from opening to its outcome. */
  roundTimeoutMs: number;
  /** Safety bound on the number of rounds. */
  maxRounds: number;
  onRound?: (record: RoundRecord) => void;
  /** Rounds done of (at most) how many, and what the round in progress is doing. */
  onProgress?: (done: number, total: number, label: string) => void;
}

export class RoundFailure extends Error {
  override name = "RoundFailure";
}

function phaseOf(global: unknown): string {
  const state = global as { phase?: string; size?: number; round?: number };
  if (state.size !== undefined) return `${state.phase}, ${state.size} clusters`;
  if (state.round !== undefined) return `${state.phase}, ${state.round} rounds trained`;
  return state.phase ?? "";
}

/** Plans a pass: who is in the cohort, who contributes and who drops where. */
export function planPass(
  pass: number,
  organisations: number,
  fraction: number,
  seed: number,
  drops: readonly Drop[],
): { cohort: number[]; participants: number[]; dropped: RoundRecord["dropped"] } {
  const participants = roundSchedule(seed).participants(pass, organisations, fraction);
  const cohort = [...participants];
  const dropped: RoundRecord["dropped"] = [];
  for (const drop of drops.filter((d) => d.pass === pass)) {
    if (drop.spare) {
      const spare = Array.from({ length: organisations }, (_, i) => i).find((i) => !cohort.includes(i));
      // Everyone takes part in this pass: there is no spare member to drop.
      if (spare === undefined) continue;
      cohort.push(spare);
      dropped.push({ organisation: spare, stopAfter: drop.stopAfter });
    } else {
      // The last participant not already dropping.
      const member = [...participants].reverse().find((i) => !dropped.some((d) => d.organisation === i));
      if (member === undefined) continue;
      dropped.push({ organisation: member, stopAfter: drop.stopAfter });
    }
  }
  return { cohort: cohort.sort((a, b) => a - b), participants, dropped };
}

/** Runs rounds until the federation's model is final; returns one record per round. */
export async function runRounds(run: FederationRun): Promise<RoundRecord[]> {
  const algorithm = routerKind(run.kind).algorithm();
  const schedule = roundSchedule(run.seed);
  const records: RoundRecord[] = [];
  const published = async () =>
    algorithm.fromModelFile((await latestModel(run.owner, run.federationId)).file);
  let global = await published();
  for (let pass = 0; !algorithm.done(global); pass++) {
    if (pass >= run.maxRounds)
      throw new RoundFailure(`${run.kind}: training did not finish within ${run.maxRounds} rounds`);
    const started = performance.now();
    const total = pass + roundsLeft(global);
    run.onProgress?.(pass, total, `round ${pass + 1}: opening`);
    const fraction = algorithm.passFraction?.(global) ?? run.fraction;
    const plan = planPass(pass, run.organisations.length, fraction, run.seed, run.drops);
    const members = plan.cohort.map((i) => run.organisations[i]!);
    const ids = members.map((o) => o.clients[run.kind]!.clientId);
    const opened = await openRound(run.owner, run.federationId, ids);
    const round = opened.round;
    const results = await Promise.allSettled(
      members.map((organisation) => {
        const drop = plan.dropped.find((d) => d.organisation === organisation.index);
        return organisation.clients[run.kind]!.participate({
          round,
          random: schedule.randomFor(pass, organisation.index),
          timeoutMs: run.roundTimeoutMs,
          // Those who drop leave; everyone else waits for the round's outcome.
          ...(drop ? { stopAfter: drop.stopAfter, waitForOutcome: false } : {}),
          onProgress: (event) =>
            run.onProgress?.(
              pass,
              total,
              `round ${round}: organisation ${organisation.index} ${event.stage}`,
            ),
        });
      }),
    );
    const failed = results.flatMap((r, k) =>
      r.status === "rejected" ? [`${members[k]!.label}: ${(r.reason as Error).message}`] : [],
    );
    if (failed.length > 0)
      throw new RoundFailure(`${run.kind} round ${round} failed:\n  ${failed.join("\n  ")}`);
    const summary: RoundSummary = await getRound(run.owner, run.federationId, round);
    if (summary.outcome?.kind !== "published")
      throw new RoundFailure(
        `${run.kind} round ${round} did not publish: ${JSON.stringify(summary.outcome ?? summary.stage)}`,
      );
    // The sum must hold exactly the schedule's participants (the spare's input never arrives).
    if (summary.participants.maskedInput !== plan.participants.length)
      throw new RoundFailure(
        `${run.kind} round ${round} summed ${summary.participants.maskedInput} inputs, the schedule has ${plan.participants.length}`,
      );
    const participations = results.map((r) => (r as PromiseFulfilledResult<ParticipationResult>).value);
    const record: RoundRecord = {
      round,
      pass,
      cohort: plan.cohort,
      participants: plan.participants,
      dropped: plan.dropped,
      version: summary.outcome.version,
      dropouts: summary.dropouts,
      clipped: participations.reduce(
        (sum, p, k) => sum + (plan.participants.includes(plan.cohort[k]!) ? p.clipped : 0),
        0,
      ),
      phase: "",
      seconds: (performance.now() - started) / 1000,
    };
    global = await published();
    record.phase = phaseOf(global);
    records.push(record);
    run.onRound?.(record);
    run.onProgress?.(pass + 1, pass + 1 + roundsLeft(global), `round ${round}: published v${record.version}`);
  }
  return records;
}
