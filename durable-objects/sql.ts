// A tagged-template SQL helper over a Durable Object's SQLite storage, after cloudflare/agents'
// `this.sql`: every `${value}` is a bound parameter (never spliced into the text), and rows come
// back with their snake_case columns renamed to camelCase, so no method maps rows by hand.

/** What a statement binds and a row holds (SQLite's types as workerd hands them over). */
export type SqlValue = SqlStorageValue;

export interface Sql {
  /** Runs one statement and returns its rows, typed as the caller declares them. */
  <Row extends object = Record<string, SqlValue>>(
    strings: TemplateStringsArray,
    ...values: SqlValue[]
  ): Row[];
  /** The statement's first row, or undefined when it returns none. */
  first<Row extends object = Record<string, SqlValue>>(
    strings: TemplateStringsArray,
    ...values: SqlValue[]
  ): Row | undefined;
  /** Runs a write and returns how many rows it wrote (0: nothing matched). */
  write(strings: TemplateStringsArray, ...values: SqlValue[]): number;
}

/** `created_at` → `createdAt`; a name without underscores stays as it is. */
export function camelCase(column: string): string {
  return column.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

// A statement's text and its columns' names, made once: a template's strings are one frozen array
// per call site, and the edge runs the same few statements for every message (docs/load.md).
const queries = new WeakMap<TemplateStringsArray, string>();
const columnKeys = new Map<string, string>();

function remembered<K, V>(
  memory: { get(key: K): V | undefined; set(key: K, value: V): unknown },
  make: (key: K) => V,
) {
  return (key: K): V => {
    const known = memory.get(key);
    if (known !== undefined) return known;
    const value = make(key);
    memory.set(key, value);
    return value;
  };
}

const queryOf = remembered(queries, (strings: TemplateStringsArray) => strings.join("?"));
const keyOf = remembered(columnKeys, camelCase);

/** The helper bound to one object's storage (`ctx.storage.sql`). */
export function sqlOf(storage: SqlStorage): Sql {
  const run = (strings: TemplateStringsArray, values: SqlValue[]) =>
    storage.exec(queryOf(strings), ...values);
  const rows = <Row>(strings: TemplateStringsArray, ...values: SqlValue[]): Row[] => {
    const cursor = run(strings, values);
    const keys = cursor.columnNames.map(keyOf);
    const out: Row[] = [];
    for (const cells of cursor.raw()) {
      const row: Record<string, SqlValue> = {};
      for (let i = 0; i < keys.length; i++) row[keys[i]!] = cells[i]!;
      out.push(row as Row);
    }
    return out;
  };
  return Object.assign(rows, {
    first: <Row>(strings: TemplateStringsArray, ...values: SqlValue[]): Row | undefined =>
      rows<Row>(strings, ...values)[0],
    write(strings: TemplateStringsArray, ...values: SqlValue[]): number {
      const cursor = run(strings, values);
      // Drain the cursor so the count covers the whole statement, not just its first step.
      cursor.toArray();
      return cursor.rowsWritten;
    },
  });
}
