// The sealed shares of a round as rows, one per share, a recipient's read when it polls (never all
// of them at once: a cohort of 1000 on a complete graph seals about 150 MB). Puts and the clear a
// transition makes are staged, then written with the protocol state in the caller's transaction.
import type { Mailbox } from "../core/secagg/index.ts";
import type { Sql } from "./sql.ts";

export const MAILBOX_MIGRATION = `CREATE TABLE secagg_mailbox (recipient TEXT NOT NULL, sender TEXT NOT NULL, ciphertext TEXT NOT NULL, PRIMARY KEY (recipient, sender));`;

export class RoundMailbox implements Mailbox {
  readonly #sql: Sql;
  #cleared = false;
  #staged: { to: string; from: string; ciphertext: string }[] = [];

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  put(to: string, from: string, ciphertext: string): void {
    this.#staged.push({ to, from, ciphertext });
  }

  /** The stored shares for `to` (a transition never reads a share it has just put). */
  inbox(to: string): Record<string, string> {
    const rows = this.#sql<{ sender: string; ciphertext: string }>`
      SELECT sender, ciphertext FROM secagg_mailbox WHERE recipient = ${to}`;
    return Object.fromEntries(rows.map((r) => [r.sender, r.ciphertext]));
  }

  clear(): void {
    this.#cleared = true;
    this.#staged = [];
  }

  /**
   * Writes what the transition staged; run it inside the transaction that stores the state. One
   * statement for all of a message's shares (SQLite unpacks them with json_each): a statement per
   * share was the largest single cost of a share_keys message at the edge (docs/load.md).
   */
  commit(): void {
    if (this.#cleared) this.#sql`DELETE FROM secagg_mailbox`;
    if (this.#staged.length > 0) {
      const rows = JSON.stringify(this.#staged.map(({ to, from, ciphertext }) => [to, from, ciphertext]));
      this.#sql`INSERT INTO secagg_mailbox (recipient, sender, ciphertext)
        SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(${rows}) WHERE true
        ON CONFLICT(recipient, sender) DO UPDATE SET ciphertext = excluded.ciphertext`;
    }
    this.#cleared = false;
    this.#staged = [];
  }
}
