// A continuous schedule, run from the Federation object's alarm: it opens each round from the
// checked-in clients (waiting for minClients, or maxWaitSeconds for fewer), keeps opening rounds
// until the model is final (every pass of K-means and the MLP's rounds and calibration are rounds
// like any other), and once enough new evaluations are reported trains again from a fresh initial
// model. The owner pauses and resumes it; aborting the round in progress is the abort route's.
import { encodeModelFile } from "../core/model-file.ts";
import { type Failure, type Result, success } from "../core/wire/errors.ts";
import type { ScheduleState } from "./federation-availability.ts";
import { openRound } from "./federation-opening.ts";
import { stampedModel } from "./federation-privacy.ts";
import { loadGlobal, putVersion } from "./federation-publishing.ts";
import type { FederationStore } from "./federation-store.ts";
import { initialModel } from "./router-kind.ts";

/** While a round runs: look again this often, in case its report of its end went missing. */
const ROUND_WATCH_MS = 60_000;
/** While waiting for clients: look again this often (check-ins also wake the schedule). */
const WAIT_POLL_MS = 5_000;
/** After a refusal (too few clients for the floors, quota, a model that did not load). */
const RETRY_MS = 10_000;

/**
 * One step of the schedule: opens the next round when it should, starts a training again when
 * its trigger fired. Returns when to run again (ms), or null when only a check-in, a round's end
 * or the owner can give it something to do. Run it in the Federation's serial queue, after
 * reconciling the current round.
 */
export async function stepSchedule(store: FederationStore, env: Env, now: number): Promise<number | null> {
  const record = store.created();
  const schedule = record.config.schedule;
  if (schedule?.kind !== "continuous") return null;
  const availability = store.availability;
  const state = availability.state();
  if (state.paused) return null;
  if (record.currentRound !== null) return now + ROUND_WATCH_MS;
  const save = (next: ScheduleState) => availability.saveState(next);
  const loaded = await loadGlobal(env.MODELS, record.id, record.config, record.latestVersion);
  if (!loaded.ok) return refused(state, save, loaded, now);
  const next: ScheduleState = { ...state };
  if (loaded.value.router.algorithm.done(loaded.value.global)) {
    if (next.training) {
      next.training = false;
      next.trainings += 1;
      next.waitingSince = null;
    }
    if (availability.newEvaluations() < schedule.retrainAfterEvaluations) {
      save(next);
      return null;
    }
    const restarted = await publishInitialModel(store, env);
    if (!restarted.ok) return refused(next, save, restarted, now);
    next.training = true;
    next.begun = false;
  } else if (!next.training) {
    next.training = true;
    next.begun = false;
  }
  const available = availability.available(now);
  const waitedEnough =
    next.waitingSince !== null && now - next.waitingSince >= schedule.maxWaitSeconds * 1000;
  if (available.size < schedule.minClients && !waitedEnough) {
    next.waitingSince ??= now;
    save(next);
    return Math.min(next.waitingSince + schedule.maxWaitSeconds * 1000, now + WAIT_POLL_MS);
  }
  const opened = await openRound(store, env, undefined, { ids: available, mode: "only" });
  if (!opened.ok) return refused({ ...next, waitingSince: next.waitingSince ?? now }, save, opened, now);
  // A training's evaluations are those its clients held when its first round opened.
  if (!next.begun) availability.trainingBegins();
  save({ ...next, begun: true, waitingSince: null, lastRefusal: null });
  return now + ROUND_WATCH_MS;
}

function refused(
  state: ScheduleState,
  save: (state: ScheduleState) => void,
  refusal: Failure,
  now: number,
): number {
  save({ ...state, lastRefusal: `${refusal.code}: ${refusal.message}` });
  return now + RETRY_MS;
}

/** Training again: the configuration's initial model becomes the next version, and rounds train it. */
async function publishInitialModel(store: FederationStore, env: Env): Promise<Result<null>> {
  const record = store.created();
  const initial = initialModel(record.config);
  if (!initial.ok) return initial;
  const version = record.latestVersion + 1;
  const file = stampedModel(record.config, version, initial.value.file);
  const bytes = { bytes: encodeModelFile(file), final: initial.value.final };
  const published = await putVersion(env, record.id, version, bytes, null);
  store.transaction(() => {
    store.addVersion(published);
    store.saveRecord({ ...record, latestVersion: published.version });
  });
  return success(null);
}
