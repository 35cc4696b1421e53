// The time a participation may take and the caller's AbortSignal, as one signal for requests and
// one check between steps, so that a timeout and an abort end the work with their own error codes.
import { FedRouterError } from "../errors.ts";

export class Deadline {
  readonly #controller = new AbortController();
  readonly #outer: AbortSignal | undefined;
  readonly #timeoutMs: number;
  readonly #timer: ReturnType<typeof setTimeout> | undefined;
  #timedOut = false;

  constructor(timeoutMs: number, outer?: AbortSignal) {
    this.#outer = outer;
    this.#timeoutMs = timeoutMs;
    // setTimeout cannot wait longer than 2^31 - 1 ms: anything longer is as good as no limit.
    if (timeoutMs < 2 ** 31)
      this.#timer = setTimeout(() => {
        this.#timedOut = true;
        this.#controller.abort();
      }, timeoutMs);
    if (outer?.aborted) this.#controller.abort();
    else outer?.addEventListener("abort", () => this.#controller.abort(), { once: true });
  }

  /** Aborts in-flight requests when the time is up or the caller aborts. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** Throws `timeout` or `aborted` once either has happened. */
  check(): void {
    if (this.#timedOut)
      throw new FedRouterError("timeout", `participation did not finish within ${this.#timeoutMs} ms`);
    if (this.#outer?.aborted) throw new FedRouterError("aborted", "participation was aborted");
  }

  /** An `aborted` error from a request becomes `timeout` when the deadline caused it. */
  translate(error: unknown): unknown {
    if (error instanceof FedRouterError && error.code === "aborted" && this.#timedOut)
      return new FedRouterError("timeout", `participation did not finish within ${this.#timeoutMs} ms`, {
        cause: error,
      });
    return error;
  }

  /** Waits, waking early (and throwing) on timeout or abort. */
  async sleep(ms: number): Promise<void> {
    this.check();
    const signal = this.signal;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    });
    this.check();
  }

  dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
  }
}
