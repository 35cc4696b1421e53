// A federation's usage ledger: counters that only grow (rounds run and aborted, updates
// aggregated, bytes ingested, models served), one row per counter.
import type { Usage } from "../core/wire/federation.ts";
import type { Sql } from "./sql.ts";

export function readUsage(sql: Sql): Usage {
  const usage: Usage = {
    roundsRun: 0,
    roundsAborted: 0,
    updatesAggregated: 0,
    bytesIngested: 0,
    modelsServed: 0,
  };
  // Rows the ledger no longer names are ignored rather than reported.
  for (const row of sql<{ key: string; value: number }>`SELECT key, value FROM usage`)
    if (Object.hasOwn(usage, row.key)) usage[row.key as keyof Usage] = row.value;
  return usage;
}

/** Adds to the counters (inside the caller's transaction when it writes more). */
export function addUsage(sql: Sql, delta: Partial<Usage>): void {
  for (const [key, value] of Object.entries(delta)) {
    if (!value) continue;
    sql`INSERT INTO usage (key, value) VALUES (${key}, ${value})
        ON CONFLICT(key) DO UPDATE SET value = value + excluded.value`;
  }
}
