// The secure-aggregation server state of a round, stored by parts so that a client's message writes
// only what it changed: the round's own row (configuration, stage, plan), one row per client (its
// keys, index and neighbours), one per accepted message (its digest) and one per revealed share.
// The sealed shares wait in the mailbox's rows (round-mailbox.ts). Each write compares the state
// with what the store last wrote and writes the difference.
import type { ServerClientRecord, ServerState } from "../core/secagg/index.ts";
import type { Sql } from "./sql.ts";

/** The single-value table of rounds stored before the state was split (read once, then emptied). */
export const STATE_MIGRATION = `CREATE TABLE secagg_state (part INTEGER PRIMARY KEY, json TEXT NOT NULL);`;

export const STATE_ROWS_MIGRATION = `
  CREATE TABLE secagg_round (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL);
  CREATE TABLE secagg_clients (client_id TEXT PRIMARY KEY, json TEXT NOT NULL);
  CREATE TABLE secagg_received (client_id TEXT NOT NULL, stage TEXT NOT NULL, digest TEXT NOT NULL, PRIMARY KEY (client_id, stage));
  CREATE TABLE secagg_revealed (owner TEXT NOT NULL, holder TEXT NOT NULL, share TEXT NOT NULL, PRIMARY KEY (owner, holder));`;

/** What storage holds, as the last write left it: compared against to find what changed. */
interface Written {
  round: string | undefined;
  clients: Map<string, string>;
  received: Set<string>;
  revealed: Set<string>;
}

const nothingWritten = (): Written => ({
  round: undefined,
  clients: new Map(),
  received: new Set(),
  revealed: new Set(),
});

const pair = (a: string, b: string) => `${a}\u0000${b}`;

export class RoundStateStore {
  readonly #sql: Sql;
  #written: Written = nothingWritten();

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** The stored state (undefined before the round opens), and what storage holds of it. */
  read(): ServerState | undefined {
    this.#written = nothingWritten();
    const legacy = this.#readLegacy();
    if (legacy) {
      this.write(legacy);
      return legacy;
    }
    const round = this.#sql.first<{ json: string }>`SELECT json FROM secagg_round`;
    if (!round) return undefined;
    const state = JSON.parse(round.json) as ServerState;
    this.#written.round = round.json;
    state.clients = {};
    for (const { clientId, json } of this.#sql<{ clientId: string; json: string }>`
      SELECT client_id, json FROM secagg_clients`) {
      state.clients[clientId] = {
        ...(JSON.parse(json) as Omit<ServerClientRecord, "received">),
        received: {},
      };
      this.#written.clients.set(clientId, json);
    }
    for (const { clientId, stage, digest } of this.#sql<{ clientId: string; stage: string; digest: string }>`
      SELECT client_id, stage, digest FROM secagg_received`) {
      const received = state.clients[clientId]!.received as Record<string, string>;
      received[stage] = digest;
      this.#written.received.add(pair(clientId, stage));
    }
    state.revealed = {};
    for (const { owner, holder, share } of this.#sql<{ owner: string; holder: string; share: string }>`
      SELECT owner, holder, share FROM secagg_revealed`) {
      state.revealed[owner] ??= {};
      state.revealed[owner]![holder] = share;
      this.#written.revealed.add(pair(owner, holder));
    }
    return state;
  }

  /**
   * Writes what changed since the last write, inside the caller's transaction (should it fail, call
   * read() to learn again what storage holds). Clients, accepted messages and revealed shares are
   * only ever added, and the revealed shares all dropped at once.
   */
  write(state: ServerState): void {
    const written = this.#written;
    const { clients, revealed, ...round } = state;
    const roundJson = JSON.stringify(round);
    if (roundJson !== written.round) {
      this.#sql`INSERT INTO secagg_round (id, json) VALUES (1, ${roundJson})
        ON CONFLICT(id) DO UPDATE SET json = excluded.json`;
      written.round = roundJson;
    }
    for (const [clientId, client] of Object.entries(clients)) this.#writeClient(clientId, client);
    let shares = 0;
    for (const holders of Object.values(revealed)) shares += Object.keys(holders).length;
    if (shares < written.revealed.size) {
      this.#sql`DELETE FROM secagg_revealed`;
      written.revealed.clear();
    }
    const fresh: [string, string, string][] = [];
    for (const [owner, holders] of Object.entries(revealed))
      for (const [holder, share] of Object.entries(holders))
        if (!written.revealed.has(pair(owner, holder))) fresh.push([owner, holder, share]);
    this.#insertRevealed(fresh);
  }

  /**
   * Revealed shares in one statement (SQLite unpacks them with json_each): an unmask response
   * brings one per neighbour, and a statement each was a large part of its cost at the edge.
   */
  #insertRevealed(shares: [owner: string, holder: string, share: string][]): void {
    if (shares.length === 0) return;
    this.#sql`INSERT INTO secagg_revealed (owner, holder, share)
      SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(${JSON.stringify(shares)})`;
    for (const [owner, holder] of shares) this.#written.revealed.add(pair(owner, holder));
  }

  /** One client's record and the digests of its messages, each row only when it changed. */
  #writeClient(clientId: string, client: ServerState["clients"][string]): void {
    const written = this.#written;
    const { received, ...record } = client;
    const json = JSON.stringify(record);
    if (written.clients.get(clientId) !== json) {
      this.#sql`INSERT INTO secagg_clients (client_id, json) VALUES (${clientId}, ${json})
        ON CONFLICT(client_id) DO UPDATE SET json = excluded.json`;
      written.clients.set(clientId, json);
    }
    for (const [stage, digest] of Object.entries(received)) {
      if (written.received.has(pair(clientId, stage))) continue;
      this
        .#sql`INSERT INTO secagg_received (client_id, stage, digest) VALUES (${clientId}, ${stage}, ${digest})`;
      written.received.add(pair(clientId, stage));
    }
  }

  /**
   * Writes what one accepted client message changed, inside the caller's transaction: a receive
   * transition touches only its sender's record, digests and revealed shares (the round's row and
   * the other clients are as they were), so this costs the message's size, not the cohort's. (The
   * stage closes, which change the round and every client, go through write().)
   */
  writeSender(state: ServerState, clientId: string): void {
    const written = this.#written;
    const record = state.clients[clientId]!;
    this.#writeClient(clientId, record);
    // An unmask response reveals shares of the sender's neighbours only.
    const fresh: [string, string, string][] = [];
    for (const owner of record.neighbours) {
      const share = state.revealed[owner]?.[clientId];
      if (share !== undefined && !written.revealed.has(pair(owner, clientId)))
        fresh.push([owner, clientId, share]);
    }
    this.#insertRevealed(fresh);
  }

  /**
   * A state stored whole, as rounds before the split were, with its sealed shares moved to the
   * mailbox's rows; the old rows are dropped (the caller writes the state's rows next).
   */
  #readLegacy(): ServerState | undefined {
    const parts = this.#sql<{ json: string }>`SELECT json FROM secagg_state ORDER BY part`;
    if (parts.length === 0) return undefined;
    const { mailbox, ...state } = JSON.parse(parts.map((p) => p.json).join("")) as Omit<
      ServerState,
      "version"
    > & {
      mailbox?: Record<string, Record<string, string>>;
    };
    for (const [to, senders] of Object.entries(mailbox ?? {}))
      for (const [from, ciphertext] of Object.entries(senders))
        this
          .#sql`INSERT INTO secagg_mailbox (recipient, sender, ciphertext) VALUES (${to}, ${from}, ${ciphertext})`;
    this.#sql`DELETE FROM secagg_state`;
    return { ...state, version: 2 };
  }
}
