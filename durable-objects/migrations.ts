// Versioned SQLite schema migrations for Durable Objects: each object records the last one it ran.

/**
 * Runs, in order, the migrations this object has not run yet. Call it from the constructor under
 * blockConcurrencyWhile, so no request sees a half-migrated schema.
 */
export function migrate(sql: SqlStorage, migrations: readonly string[]): void {
  sql.exec(
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
  );
  const row = sql
    .exec<{ version: number | null }>("SELECT MAX(version) AS version FROM schema_migrations")
    .one();
  const done = row.version ?? 0;
  for (let version = done + 1; version <= migrations.length; version++) {
    sql.exec(migrations[version - 1]!);
    sql.exec(
      "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
      version,
      new Date().toISOString(),
    );
  }
}

/** Whether this object ever ran a migration (objects only reached by a wrong id never get tables). */
export function hasSchema(sql: SqlStorage): boolean {
  return (
    sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").toArray()
      .length > 0
  );
}
