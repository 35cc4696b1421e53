// Tables a Durable Object creates on first use (CREATE TABLE IF NOT EXISTS), outside the store's
// numbered migrations: an object that never needs them never creates them, and one that predates
// them gains them without a migration.

/** A function that creates the tables of `ddl` the first time it is called, and then does nothing. */
export function tablesOnFirstUse(storage: DurableObjectStorage, ddl: string): () => void {
  let ready = false;
  return () => {
    if (ready) return;
    storage.sql.exec(ddl);
    ready = true;
  };
}
