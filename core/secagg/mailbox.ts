// Where sealed shares wait for their recipients, from share_keys until the masked inputs are in:
// n * k of them (about 150 MB for 1000 clients on a complete graph), too many for a round's state.
// The state machine reaches them through this port: a Durable Object keeps one row per share and
// reads a recipient's when it polls; tests and benches keep them in memory.

export interface Mailbox {
  /** Keeps the share `from` sealed for `to`. */
  put(to: string, from: string, ciphertext: string): void;
  /** The shares sealed for `to`, by sender. */
  inbox(to: string): Record<string, string>;
  /** Drops every share: the masked inputs are in, or the round aborted. */
  clear(): void;
}

/** A mailbox in memory, for rounds driven in one process. */
export function memoryMailbox(): Mailbox {
  let boxes = new Map<string, Record<string, string>>();
  return {
    put(to, from, ciphertext) {
      const box = boxes.get(to) ?? {};
      box[from] = ciphertext;
      boxes.set(to, box);
    },
    inbox: (to) => ({ ...boxes.get(to) }),
    clear() {
      boxes = new Map();
    },
  };
}
