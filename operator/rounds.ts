// Following rounds as an owner: a live bar of a round's stages and survivors (cli-progress on a
// terminal, one line per change in logs), and training to the end: open the next round as soon as
// one publishes, until the federation's router is final.
import { MultiBar, Presets, type SingleBar } from "cli-progress";
import type { RoundSummary } from "../core/wire/rounds.ts";
import { EdgeRequestError, getRound, latestModel, type Owner, openRound } from "./owner-api.ts";

/** The protocol's stages in order, with the participants field each one counts. */
const STAGES = [
  ["advertise_keys", "advertiseKeys"],
  ["share_keys", "shareKeys"],
  ["masked_input", "maskedInput"],
  ["consistency_check", "consistencyCheck"],
  ["unmask", "unmask"],
] as const;

/** Where a round is: stages closed of five, and clients still in it (survivors) of its cohort. */
export function roundProgress(round: RoundSummary): { stage: number; survivors: number; answered: number } {
  const at = STAGES.findIndex(([stage]) => stage === round.stage);
  if (at < 0) {
    // Ended: the survivors are the clients whose masked inputs the sum holds.
    const summed = round.participants.maskedInput - round.dropouts;
    return { stage: round.stage === "done" ? STAGES.length : 0, survivors: summed, answered: summed };
  }
  const survivors = at === 0 ? round.cohort.length : round.participants[STAGES[at - 1]![1]];
  return { stage: at, survivors, answered: round.participants[STAGES[at]![1]] };
}

/** One line about a round, as logs and the bar's label show it. */
export function roundLine(round: RoundSummary): string {
  const { survivors, answered } = roundProgress(round);
  const cohort = round.cohort.length;
  if (round.outcome?.kind === "published")
    return `round ${round.round}: published version ${round.outcome.version}, ${survivors} of ${cohort} inputs summed, ${round.dropouts} dropped`;
  if (round.outcome?.kind === "aborted")
    return `round ${round.round}: aborted (${round.outcome.code}): ${round.outcome.message}`;
  return `round ${round.round}: ${round.stage}, ${answered} of ${survivors} answered, ${survivors} of ${cohort} still in`;
}

export interface Display {
  /** The round now (the training's bar too when `training` is given: rounds done of about how many). */
  show(round: RoundSummary, training?: { done: number; total: number }): void;
  log(line: string): void;
  stop(): void;
}

/** Bars on a terminal, a line per change elsewhere (CI logs, pipes), nothing with `quiet`. */
export function createDisplay(quiet: boolean, stream: NodeJS.WriteStream = process.stderr): Display {
  if (quiet) return { show() {}, log() {}, stop() {} };
  if (!stream.isTTY) {
    let last = "";
    return {
      show(round) {
        const line = roundLine(round);
        if (line !== last) stream.write(`${line}\n`);
        last = line;
      },
      // The round's last line has been shown already.
      log: (line) => {
        if (line !== last) stream.write(`${line}\n`);
        last = line;
      },
      stop() {},
    };
  }
  const bars = new MultiBar(
    { format: "{bar} {value}/{total} {label}", hideCursor: true, stream, clearOnComplete: false },
    Presets.shades_classic,
  );
  let stages: SingleBar | undefined;
  let training: SingleBar | undefined;
  return {
    show(round, progress) {
      if (progress) {
        training ??= bars.create(progress.total, 0, { label: "" });
        training.setTotal(progress.total);
        training.update(progress.done, { label: `rounds (of about ${progress.total})` });
      }
      stages ??= bars.create(STAGES.length, 0, { label: "" });
      stages.update(roundProgress(round).stage, { label: `stages | ${roundLine(round)}` });
    },
    log: (line) => bars.log(`${line}\n`),
    stop: () => bars.stop(),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class WatchTimeout extends Error {
  override name = "WatchTimeout";
  readonly foreseen = true;
}

/** Polls a round until it ends; `deadline` is a Date.now() bound. */
export async function watchRound(
  owner: Owner,
  federationId: string,
  round: number,
  display: Display,
  deadline: number,
  training?: { done: number; total: number },
  pollMs = 500,
): Promise<RoundSummary> {
  for (;;) {
    const summary = await getRound(owner, federationId, round);
    display.show(summary, training);
    if (summary.outcome) return summary;
    if (Date.now() > deadline) throw new WatchTimeout(`round ${round} had not ended when the time ran out`);
    await sleep(pollMs);
  }
}

/** Whether the latest model is final, and about how many rounds it still needs. */
async function trainingLeft(owner: Owner, federationId: string): Promise<number> {
  // Loaded here: the router kinds take seconds to import, which every other command would pay.
  const [{ stateOf }, { roundsLeft }] = await Promise.all([
    import("../core/routers/registry.ts"),
    import("./rounds-left.ts"),
  ]);
  const { file } = await latestModel(owner, federationId);
  const { kind, state } = stateOf(file);
  return kind.algorithm().done(state) ? 0 : Math.max(1, roundsLeft(state));
}

export class RoundAborted extends Error {
  override name = "RoundAborted";
  readonly foreseen = true;
}

/**
 * Opens rounds one after another, each once the one before has published, until the router is
 * final; a round in progress when it starts is followed first. Stops at the first aborted round.
 */
export async function trainToTheEnd(
  owner: Owner,
  federationId: string,
  display: Display,
  deadline: number,
  cohort?: string[],
): Promise<RoundSummary[]> {
  const rounds: RoundSummary[] = [];
  for (;;) {
    const left = await trainingLeft(owner, federationId);
    if (left === 0) return rounds;
    let opened: RoundSummary;
    try {
      opened = await openRound(owner, federationId, cohort);
    } catch (error) {
      // A round already runs (opened by someone else, or before this command): follow it.
      if (!(error instanceof EdgeRequestError && error.code === "conflict")) throw error;
      opened = await getRound(owner, federationId, "current").catch(() => {
        throw error;
      });
    }
    const ended = await watchRound(owner, federationId, opened.round, display, deadline, {
      done: rounds.length,
      total: rounds.length + left,
    });
    rounds.push(ended);
    display.log(roundLine(ended));
    if (ended.outcome?.kind === "aborted")
      throw new RoundAborted(`${roundLine(ended)}; training stopped (start it again to retry)`);
  }
}
