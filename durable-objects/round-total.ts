// The running masked total of a round, kept in SQLite as Uint32 chunks well under the 2 MB value
// limit. Every function runs synchronously on the SQL handle so callers can put it in one transaction.
import { addMaskedInput, decodeChunk } from "../core/secagg/index.ts";
import type { Sql } from "./sql.ts";

/** Elements per stored chunk: 256 Ki x 4 bytes = 1 MiB. */
export const CHUNK_ELEMENTS = 256 * 1024;

export const TOTAL_MIGRATION = `CREATE TABLE total_chunks (idx INTEGER PRIMARY KEY, data BLOB NOT NULL, unmasked INTEGER NOT NULL DEFAULT 0);`;

export function chunkCount(length: number): number {
  return Math.ceil(length / CHUNK_ELEMENTS);
}

function chunkLength(length: number, index: number): number {
  return Math.min(CHUNK_ELEMENTS, length - index * CHUNK_ELEMENTS);
}

/** Zero total of `length` elements. */
export function createTotal(sql: Sql, length: number): void {
  sql`DELETE FROM total_chunks`;
  for (let i = 0; i < chunkCount(length); i++)
    sql`INSERT INTO total_chunks (idx, data) VALUES (${i}, ${new Uint32Array(chunkLength(length, i)).buffer})`;
}

export function readChunk(sql: Sql, index: number): { data: Uint32Array; unmasked: boolean } {
  const row = sql.first<{ data: ArrayBuffer; unmasked: number }>`
    SELECT data, unmasked FROM total_chunks WHERE idx = ${index}`;
  if (!row) throw new RangeError(`the total has no chunk ${index}`);
  // Copy: the returned buffer belongs to the cursor.
  return { data: new Uint32Array(row.data.slice(0)), unmasked: row.unmasked === 1 };
}

export function writeChunk(sql: Sql, index: number, data: Uint32Array, unmasked: boolean): void {
  // A copy of just the view's elements, in a buffer of its own.
  const bytes = new Uint32Array(data).buffer;
  sql`UPDATE total_chunks SET data = ${bytes}, unmasked = ${unmasked ? 1 : 0} WHERE idx = ${index}`;
}

/** total += vector mod 2^32, chunk by chunk. */
export function addToTotal(sql: Sql, vector: Uint32Array): void {
  for (let i = 0; i < chunkCount(vector.length); i++) {
    const { data } = readChunk(sql, i);
    writeChunk(sql, i, addMaskedInput(data, vector, i * CHUNK_ELEMENTS), false);
  }
}

/** Indices of chunks the unmask correction has not been applied to yet. */
export function maskedChunks(sql: Sql): number[] {
  return sql<{ idx: number }>`SELECT idx FROM total_chunks WHERE unmasked = 0 ORDER BY idx`.map((r) => r.idx);
}

/** A round's unmasked total, decoded: what the Round hands the Federation to publish from. */
export interface RoundTotal {
  /** Sum of the survivors' contributions (the masked vector's elements 1..n). */
  sum: Float64Array;
  /** Sum of their weights (element 0): one per client that encoded honestly. */
  weightTotal: number;
}

/**
 * Decodes the unmasked total [sum enc(w), sum enc(w*x)] into the sum of x over the clients
 * (every client encodes with weight 1, so the weighted sum is the plain sum) and the weight total.
 */
export function decodeTotal(sql: Sql, length: number, scale: number): RoundTotal {
  const sum = new Float64Array(length - 1);
  const average = new Float64Array(length - 1);
  let encodedWeight = 0;
  for (let i = 0; i < chunkCount(length); i++) {
    const { data } = readChunk(sql, i);
    const start = i * CHUNK_ELEMENTS;
    if (i === 0) encodedWeight = data[0]! | 0;
    // Element 0 of the whole vector is the weight slot, not part of the sum.
    const elements = i === 0 ? data.subarray(1) : data;
    const offset = i === 0 ? 0 : start - 1;
    decodeChunk(
      elements,
      encodedWeight,
      scale,
      sum.subarray(offset, offset + elements.length),
      average.subarray(offset, offset + elements.length),
    );
  }
  return { sum, weightTotal: encodedWeight / scale };
}

export function dropTotal(sql: Sql): void {
  sql`DELETE FROM total_chunks`;
}
