// The tagged-template SQL helper against workerd's real SQLite storage: values are bound, never
// spliced into the text; rows come back with camelCase keys; writes report what they wrote.
import { env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { hasSchema, migrate } from "../../../durable-objects/migrations.ts";
import { camelCase, sqlOf } from "../../../durable-objects/sql.ts";

/** Runs `test` against the SQLite storage of a fresh object that nothing else uses. */
async function withStorage<T>(test: (storage: SqlStorage) => T): Promise<T> {
  const stub = env.TENANTS.getByName(`sql-test-${crypto.randomUUID()}`);
  return runInDurableObject(stub, (_instance, state) => test(state.storage.sql));
}

describe("sqlOf", () => {
  it("binds interpolated values, so text that looks like SQL is stored as it is", async () => {
    const stored = await withStorage((storage) => {
      const sql = sqlOf(storage);
      sql`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)`;
      const hostile = "x'); DROP TABLE notes; --";
      sql`INSERT INTO notes (id, body) VALUES (${1}, ${hostile})`;
      return sql<{ id: number; body: string }>`SELECT id, body FROM notes`;
    });
    expect(stored).toEqual([{ id: 1, body: "x'); DROP TABLE notes; --" }]);
  });

  it("returns rows with snake_case columns renamed to camelCase, in column order", async () => {
    const rows = await withStorage((storage) => {
      const sql = sqlOf(storage);
      sql`CREATE TABLE versions (version INTEGER, created_at TEXT, round INTEGER, raw_bytes BLOB)`;
      sql`INSERT INTO versions VALUES (${0}, ${"2026-01-01"}, ${null}, ${new Uint8Array([1, 2]).buffer})`;
      sql`INSERT INTO versions VALUES (${1}, ${"2026-01-02"}, ${7}, ${null})`;
      return sql`SELECT version, created_at, round, raw_bytes FROM versions ORDER BY version`;
    });
    expect(rows.map((r) => Object.keys(r))).toEqual([
      ["version", "createdAt", "round", "rawBytes"],
      ["version", "createdAt", "round", "rawBytes"],
    ]);
    expect(rows[0]).toMatchObject({ version: 0, createdAt: "2026-01-01", round: null });
    expect(Array.from(new Uint8Array(rows[0]!.rawBytes as ArrayBuffer))).toEqual([1, 2]);
    expect(rows[1]).toEqual({ version: 1, createdAt: "2026-01-02", round: 7, rawBytes: null });
  });

  it("gives the first row, or undefined when the statement returns none", async () => {
    const [found, missing] = await withStorage((storage) => {
      const sql = sqlOf(storage);
      sql`CREATE TABLE clients (id TEXT PRIMARY KEY, token_hash TEXT)`;
      sql`INSERT INTO clients VALUES (${"a"}, ${"h1"}), (${"b"}, ${"h2"})`;
      return [
        sql.first<{ id: string; tokenHash: string }>`SELECT id, token_hash FROM clients ORDER BY id DESC`,
        sql.first`SELECT id FROM clients WHERE id = ${"zz"}`,
      ];
    });
    expect(found).toEqual({ id: "b", tokenHash: "h2" });
    expect(missing).toBeUndefined();
  });

  it("counts the rows a write changed: 0 when nothing matched", async () => {
    const counts = await withStorage((storage) => {
      const sql = sqlOf(storage);
      sql`CREATE TABLE clients (id TEXT PRIMARY KEY, revoked_at TEXT)`;
      sql`INSERT INTO clients (id) VALUES (${"a"}), (${"b"}), (${"c"})`;
      const revoke = (id: string) =>
        sql.write`UPDATE clients SET revoked_at = ${"now"} WHERE id = ${id} AND revoked_at IS NULL`;
      return {
        first: revoke("a"),
        again: revoke("a"),
        unknown: revoke("zz"),
        all: sql.write`UPDATE clients SET revoked_at = ${"later"}`,
      };
    });
    expect(counts).toEqual({ first: 1, again: 0, unknown: 0, all: 3 });
  });
});

describe("camelCase", () => {
  it("renames snake_case columns and leaves other names alone", () => {
    expect(camelCase("created_at")).toBe("createdAt");
    expect(camelCase("mean_auc")).toBe("meanAuc");
    expect(camelCase("token_hash")).toBe("tokenHash");
    expect(camelCase("sha256")).toBe("sha256");
    expect(camelCase("n")).toBe("n");
  });
});

describe("migrate", () => {
  it("runs each migration once, in order, and records that the object has a schema", async () => {
    const result = await withStorage((storage) => {
      const before = hasSchema(storage);
      const first = ["CREATE TABLE a (x INTEGER); CREATE TABLE b (y INTEGER);"];
      migrate(storage, first);
      // Running the same list again must not recreate the tables (that would throw).
      migrate(storage, first);
      migrate(storage, [...first, "ALTER TABLE a ADD COLUMN z TEXT;"]);
      const sql = sqlOf(storage);
      return {
        before,
        after: hasSchema(storage),
        versions: sql<{ version: number }>`SELECT version FROM schema_migrations ORDER BY version`,
        columns: sql<{ name: string }>`SELECT name FROM pragma_table_info('a')`.map((c) => c.name),
      };
    });
    expect(result).toEqual({
      before: false,
      after: true,
      versions: [{ version: 1 }, { version: 2 }],
      columns: ["x", "z"],
    });
  });
});
