// What a sharded round's finished shards left with the Federation until the last shard ends: each
// shard's decoded sum (Float64 chunks well under the 2 MB value limit) and weight total, and the
// bytes every shard ingested (aborted ones too, for the usage ledger). Created on first use beside
// the federation's own tables, and dropped when the round ends.

import { tablesOnFirstUse } from "./lazy-tables.ts";
import type { Sql } from "./sql.ts";

const TABLES = `
  CREATE TABLE IF NOT EXISTS shard_totals (round INTEGER NOT NULL, shard INTEGER NOT NULL,
    idx INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (round, shard, idx));
  CREATE TABLE IF NOT EXISTS shard_usage (round INTEGER NOT NULL, shard INTEGER NOT NULL,
    weight_total REAL, bytes INTEGER NOT NULL, PRIMARY KEY (round, shard));`;

/** Float64 elements per stored chunk: 128 Ki x 8 bytes = 1 MiB. */
const CHUNK = 128 * 1024;

export class ShardTotals {
  readonly #sql: Sql;
  readonly #tables: () => void;

  constructor(storage: DurableObjectStorage, sql: Sql) {
    this.#sql = sql;
    this.#tables = tablesOnFirstUse(storage, TABLES);
  }

  /** A shard's accepted total (run inside the caller's transaction); a repeat overwrites it alike. */
  saveTotal(round: number, shard: number, sum: Float64Array, weightTotal: number): void {
    this.#tables();
    for (let idx = 0; idx * CHUNK < sum.length; idx++) {
      const data = sum.slice(idx * CHUNK, (idx + 1) * CHUNK).buffer;
      this
        .#sql`INSERT INTO shard_totals (round, shard, idx, data) VALUES (${round}, ${shard}, ${idx}, ${data})
        ON CONFLICT(round, shard, idx) DO UPDATE SET data = excluded.data`;
    }
    this
      .#sql`INSERT INTO shard_usage (round, shard, weight_total, bytes) VALUES (${round}, ${shard}, ${weightTotal}, 0)
      ON CONFLICT(round, shard) DO UPDATE SET weight_total = excluded.weight_total`;
  }

  /** The bytes a shard ingested, whether it finished or aborted. */
  saveBytes(round: number, shard: number, bytes: number): void {
    this.#tables();
    this
      .#sql`INSERT INTO shard_usage (round, shard, weight_total, bytes) VALUES (${round}, ${shard}, NULL, ${bytes})
      ON CONFLICT(round, shard) DO UPDATE SET bytes = excluded.bytes`;
  }

  /** The sum of the given shards' totals, element by element, and of their weight totals. */
  sum(round: number, shards: readonly number[], length: number): { sum: Float64Array; weightTotal: number } {
    this.#tables();
    const sum = new Float64Array(length);
    let weightTotal = 0;
    for (const shard of shards) {
      const rows = this.#sql<{ idx: number; data: ArrayBuffer }>`
        SELECT idx, data FROM shard_totals WHERE round = ${round} AND shard = ${shard} ORDER BY idx`;
      for (const { idx, data } of rows) {
        const chunk = new Float64Array(data.slice(0));
        const offset = idx * CHUNK;
        for (let i = 0; i < chunk.length && offset + i < length; i++) sum[offset + i]! += chunk[i]!;
      }
      weightTotal +=
        this.#sql.first<{ weightTotal: number | null }>`
          SELECT weight_total FROM shard_usage WHERE round = ${round} AND shard = ${shard}`?.weightTotal ?? 0;
    }
    return { sum, weightTotal };
  }

  /** Bytes ingested by all of the round's shards. */
  bytes(round: number): number {
    this.#tables();
    return (
      this.#sql.first<{
        bytes: number | null;
      }>`SELECT SUM(bytes) AS bytes FROM shard_usage WHERE round = ${round}`?.bytes ?? 0
    );
  }

  /** Drops what the round's shards left (once the round ended). */
  drop(round: number): void {
    this.#tables();
    this.#sql`DELETE FROM shard_totals WHERE round = ${round}`;
    this.#sql`DELETE FROM shard_usage WHERE round = ${round}`;
  }
}
