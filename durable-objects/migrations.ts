// Versioned SQLite schema migrations for Durable Objects: each object records the last one it ran.
import { sqlOf } from "./sql.ts";

/**
 * Runs, in order, the migrations this object has not run yet. Call it from the constructor under
 * blockConcurrencyWhile, so no request sees a half-migrated schema.
 */
export function migrate(storage: SqlStorage, migrations: readonly string[]): void {
  const sql = sqlOf(storage);
  sql`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`;
  const done = sql.first<{ version: number | null }>`SELECT MAX(version) AS version FROM schema_migrations`;
  for (let version = (done?.version ?? 0) + 1; version <= migrations.length; version++) {
    // A migration is a script of several statements with nothing to bind: it runs as plain text.
    storage.exec(migrations[version - 1]!);
    sql`INSERT INTO schema_migrations (version, applied_at) VALUES (${version}, ${new Date().toISOString()})`;
  }
}

/** Whether this object ever ran a migration (objects only reached by a wrong id never get tables). */
export function hasSchema(storage: SqlStorage): boolean {
  const table = sqlOf(storage).first`
    SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`;
  return table !== undefined;
}
