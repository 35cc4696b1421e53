// Which clients are available and how a federation's schedule stands, in the Federation object's
// SQLite: one row per client that ever checked in (its evaluation bucket, when its check-in
// expires, and its bucket when the current training began), and the schedule's own row. The
// tables are created on first use, beside the federation's own (federation-store.ts).
import {
  CHECK_IN_SECONDS,
  EVALUATION_BUCKET_FLOORS,
  type Schedule,
  TRAINING_STATE,
  type TrainingStatus,
} from "../core/wire/schedule.ts";
import { tablesOnFirstUse } from "./lazy-tables.ts";
import type { Sql } from "./sql.ts";

const TABLES = `
  CREATE TABLE IF NOT EXISTS check_ins (client_id TEXT PRIMARY KEY, bucket INTEGER NOT NULL,
    expires_at INTEGER NOT NULL, trained_bucket INTEGER NOT NULL DEFAULT 0);
  CREATE TABLE IF NOT EXISTS schedule_state (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);`;

/** Where a continuous schedule stands between alarms. */
export interface ScheduleState {
  paused: boolean;
  /** A training is under way (rounds until the model is final). */
  training: boolean;
  /** The training's first round opened (what it trains on was noted then). */
  begun: boolean;
  trainings: number;
  /** Since when the schedule has waited for enough clients (ms), or null. */
  waitingSince: number | null;
  lastRefusal: string | null;
}

const INITIAL: ScheduleState = {
  paused: false,
  training: false,
  begun: false,
  trainings: 0,
  waitingSince: null,
  lastRefusal: null,
};

/** The lower bound of a bucket, the count a retraining trigger adds up (never more than reported). */
const floorOf = (bucket: number) => EVALUATION_BUCKET_FLOORS[bucket] ?? 0;

export class Availability {
  readonly #sql: Sql;
  readonly #tables: () => void;

  constructor(storage: DurableObjectStorage, sql: Sql) {
    this.#sql = sql;
    this.#tables = tablesOnFirstUse(storage, TABLES);
  }

  /** Records a check-in; returns when it expires (ms). */
  checkIn(clientId: string, bucket: number, now: number): number {
    this.#tables();
    const expiresAt = now + CHECK_IN_SECONDS * 1000;
    this
      .#sql`INSERT INTO check_ins (client_id, bucket, expires_at) VALUES (${clientId}, ${bucket}, ${expiresAt})
      ON CONFLICT(client_id) DO UPDATE SET bucket = excluded.bucket, expires_at = excluded.expires_at`;
    return expiresAt;
  }

  /** Clients whose check-in has not expired at `now`. */
  available(now: number): Set<string> {
    this.#tables();
    return new Set(
      this.#sql<{ clientId: string }>`SELECT client_id FROM check_ins WHERE expires_at > ${now}`.map(
        (r) => r.clientId,
      ),
    );
  }

  /** Evaluations reported since the current (or last) training began, by bucket floors. */
  newEvaluations(): number {
    this.#tables();
    let total = 0;
    for (const { bucket, trainedBucket } of this.#sql<{ bucket: number; trainedBucket: number }>`
      SELECT bucket, trained_bucket FROM check_ins`)
      total += Math.max(0, floorOf(bucket) - floorOf(trainedBucket));
    return total;
  }

  /** A training begins: what clients hold now is what it trains on. */
  trainingBegins(): void {
    this.#tables();
    this.#sql`UPDATE check_ins SET trained_bucket = bucket`;
  }

  state(): ScheduleState {
    this.#tables();
    const row = this.#sql.first<{ json: string }>`SELECT json FROM schedule_state`;
    return row ? { ...INITIAL, ...(JSON.parse(row.json) as Partial<ScheduleState>) } : { ...INITIAL };
  }

  saveState(state: ScheduleState): void {
    this.#tables();
    this.#sql`INSERT INTO schedule_state (id, json) VALUES (1, ${JSON.stringify(state)})
      ON CONFLICT(id) DO UPDATE SET json = excluded.json`;
  }

  /** The schedule and where it stands, as the federation view shows it. */
  status(schedule: Schedule | undefined, now: number): TrainingStatus {
    const state = this.state();
    const kind = schedule ?? { kind: "manual" as const };
    return {
      schedule: kind,
      state:
        kind.kind === "manual"
          ? TRAINING_STATE.MANUAL
          : state.paused
            ? TRAINING_STATE.PAUSED
            : state.training
              ? state.waitingSince === null
                ? TRAINING_STATE.TRAINING
                : TRAINING_STATE.WAITING
              : state.waitingSince === null && state.trainings > 0
                ? TRAINING_STATE.TRAINED
                : TRAINING_STATE.WAITING,
      checkedIn: this.available(now).size,
      newEvaluations: this.newEvaluations(),
      trainings: state.trainings,
      lastRefusal: state.lastRefusal,
    };
  }
}
