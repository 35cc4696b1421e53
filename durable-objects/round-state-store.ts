// The secure-aggregation server state of a round, stored as JSON split across rows so that large
// cohorts (whose sealed-share mailbox grows with n * k) stay under SQLite's 2 MB value limit.
import type { ServerState } from "../core/secagg/index.ts";
import type { Sql } from "./sql.ts";

const PART_CHARS = 512 * 1024;

export const STATE_MIGRATION = `CREATE TABLE secagg_state (part INTEGER PRIMARY KEY, json TEXT NOT NULL);`;

export function writeState(sql: Sql, state: ServerState): void {
  const json = JSON.stringify(state);
  sql`DELETE FROM secagg_state`;
  for (let part = 0; part * PART_CHARS < json.length || part === 0; part++)
    sql`INSERT INTO secagg_state (part, json)
      VALUES (${part}, ${json.slice(part * PART_CHARS, (part + 1) * PART_CHARS)})`;
}

export function readState(sql: Sql): ServerState | undefined {
  const parts = sql<{ json: string }>`SELECT json FROM secagg_state ORDER BY part`;
  return parts.length === 0 ? undefined : (JSON.parse(parts.map((p) => p.json).join("")) as ServerState);
}
