// Wakes the long polls an object holds (core/wire/long-poll.ts) when its state changes. Waiting
// happens outside the object's Serial, so a held request never delays a message or an alarm.

export class Changes {
  readonly #waiters = new Set<() => void>();

  /** Resolves at the next change, or after `ms`. */
  next(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(wake, Math.max(0, ms));
      const waiters = this.#waiters;
      waiters.add(wake);
      function wake() {
        clearTimeout(timer);
        waiters.delete(wake);
        resolve();
      }
    });
  }

  /** Wakes every waiting request; each looks again at what it waits for. */
  notify(): void {
    for (const wake of [...this.#waiters]) wake();
  }

  /**
   * Answers `read()` once it is `ready`, or whatever it is when `waitMs` has passed (at once for 0).
   * `read` runs again after every change.
   */
  async until<T>(read: () => T, ready: (value: T) => boolean, waitMs: number): Promise<T> {
    const end = Date.now() + waitMs;
    for (;;) {
      const value = read();
      const left = end - Date.now();
      if (ready(value) || left <= 0) return value;
      await this.next(left);
    }
  }
}
