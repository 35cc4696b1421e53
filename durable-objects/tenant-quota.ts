// A tenant's daily update quota as a ledger of reservations: a round reserves its whole cohort when
// it opens (so rounds running at once cannot overspend the day), and when it ends it is charged
// only the updates it aggregated; the rest goes back to the day it was reserved on.
import { failure, type Result, success } from "../core/wire/errors.ts";
import type { Sql } from "./sql.ts";

export const RESERVATIONS_MIGRATION = `CREATE TABLE update_reservations (
  federation_id TEXT NOT NULL, round INTEGER NOT NULL, day TEXT NOT NULL,
  reserved INTEGER NOT NULL, charged INTEGER NOT NULL, PRIMARY KEY (federation_id, round));`;

/** A UTC day as the ledger keys it. */
export const dayOf = (now: number): string => new Date(now).toISOString().slice(0, 10);

export function updatesOn(sql: Sql, day: string): number {
  return sql.first<{ updates: number }>`SELECT updates FROM updates_by_day WHERE day = ${day}`?.updates ?? 0;
}

function addUpdates(sql: Sql, day: string, delta: number): void {
  sql`INSERT INTO updates_by_day (day, updates) VALUES (${day}, ${delta})
    ON CONFLICT(day) DO UPDATE SET updates = updates + excluded.updates`;
}

interface Reservation {
  day: string;
  reserved: number;
  charged: number;
}

function reservation(sql: Sql, federationId: string, round: number): Reservation | undefined {
  return sql.first<Reservation>`SELECT day, reserved, charged FROM update_reservations
    WHERE federation_id = ${federationId} AND round = ${round}`;
}

/**
 * Reserves `count` updates of `day` for a round. A round that opens again (its first opening failed
 * on the way) gives back what it held before, so it is never charged twice. Call inside a transaction.
 */
export function reserve(
  sql: Sql,
  limit: number,
  key: { federationId: string; round: number },
  count: number,
  day: string,
): Result<{ remaining: number }> {
  const held = reservation(sql, key.federationId, key.round);
  if (held) addUpdates(sql, held.day, -held.charged);
  const used = updatesOn(sql, day);
  if (used + count > limit) {
    // Nothing changes when the round cannot open: it keeps what it held.
    if (held) addUpdates(sql, held.day, held.charged);
    return failure(
      "quota_exceeded",
      `daily update quota exceeded: ${used} of ${limit} used today (UTC), this round needs ${count}; it resets at 00:00 UTC`,
    );
  }
  addUpdates(sql, day, count);
  sql`INSERT INTO update_reservations (federation_id, round, day, reserved, charged)
    VALUES (${key.federationId}, ${key.round}, ${day}, ${count}, ${count})
    ON CONFLICT(federation_id, round) DO UPDATE
    SET day = excluded.day, reserved = excluded.reserved, charged = excluded.charged`;
  return success({ remaining: limit - used - count });
}

/**
 * Charges a round that ended the updates it used (at most what it reserved) and gives the rest back.
 * Settling again replaces the charge, so a repeated report changes nothing and a later, final one
 * (a round first taken, then refused) corrects it. Call inside a transaction.
 */
export function settle(sql: Sql, key: { federationId: string; round: number }, used: number): void {
  const held = reservation(sql, key.federationId, key.round);
  if (!held) return;
  const charged = Math.min(Math.max(used, 0), held.reserved);
  addUpdates(sql, held.day, charged - held.charged);
  sql`UPDATE update_reservations SET charged = ${charged}
    WHERE federation_id = ${key.federationId} AND round = ${key.round}`;
}
