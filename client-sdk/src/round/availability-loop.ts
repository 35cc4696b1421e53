// client.start(): a background loop that keeps this client available to a federation that trains
// itself. It checks in (telling the edge only a coarse bucket of how many evaluations it holds),
// looks between check-ins for a round that invites it, takes part when one does, and backs off
// on errors. In Node it runs on timers; in a browser only while the page is visible.
import type { ClientRound } from "../../../core/wire/rounds.ts";
import { evaluationBucket } from "../../../core/wire/schedule.ts";
import type { EdgeApi } from "../edge.ts";
import type { EvaluationStore } from "../store/store.ts";
import { heldFully, type ParticipateOptions, type ParticipationResult } from "./participate.ts";

export interface StartOptions {
  /** Between check-ins, how often to look for a round that invites this client. Default 5 s. */
  pollIntervalMs?: number;
  /** Longest wait after repeated errors. Default 60 s. */
  maxBackoffMs?: number;
  /** Options for each round taken part in (its round and signal are the loop's). */
  participate?: Omit<ParticipateOptions, "round" | "signal">;
  /** Each round taken part in, as it ends. */
  onRound?: (result: ParticipationResult) => void;
  /** Each error met; the loop goes on after backing off. */
  onError?: (error: unknown) => void;
}

export interface LoopContext {
  edge: EdgeApi;
  store: EvaluationStore;
  /** How long the edge may hold a check-in until a round invites this client (0: poll instead). */
  longPollMs: number;
  /**
   * What must hold before this client offers itself: the federation's declared terms, read (and
   * judged) once. Done before the first check-in, so that a client never checks in to terms it
   * would refuse, and the first round it is invited to does not wait on that read.
   */
  ready: (signal: AbortSignal) => Promise<unknown>;
  /** Takes part in a round; `invitation` is the round as the check-in showed it, when it did. */
  participate: (options: ParticipateOptions, invitation?: ClientRound) => Promise<ParticipationResult>;
}

/** Whether the page is visible (always, outside a browser). */
function visible(): boolean {
  const page = (globalThis as { document?: { visibilityState?: string } }).document;
  return page?.visibilityState !== "hidden";
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

export class AvailabilityLoop {
  readonly #context: LoopContext;
  #controller: AbortController | undefined;
  #running: Promise<void> | undefined;

  constructor(context: LoopContext) {
    this.#context = context;
  }

  get running(): boolean {
    return this.#controller !== undefined;
  }

  /** Starts the loop (a second start while it runs changes nothing). */
  start(options: StartOptions = {}): void {
    if (this.#controller) return;
    const controller = new AbortController();
    this.#controller = controller;
    this.#running = this.#run(options, controller.signal);
  }

  /** Stops the loop, and any round it is taking part in; resolves once it has stopped. */
  async stop(): Promise<void> {
    this.#controller?.abort();
    await this.#running;
    this.#controller = undefined;
    this.#running = undefined;
  }

  async #run(options: StartOptions, signal: AbortSignal): Promise<void> {
    const { edge, store, longPollMs } = this.#context;
    // With long polls every look is a check-in the edge holds until a round invites this client.
    const holding = longPollMs > 0;
    const pollMs = options.pollIntervalMs ?? 5_000;
    const maxBackoffMs = options.maxBackoffMs ?? 60_000;
    let backoff = 0;
    let nextCheckIn = 0;
    let checkedInBucket = -1;
    let lastRound = -1;
    while (!signal.aborted) {
      try {
        if (!visible()) {
          // A hidden page neither checks in nor trains; its check-in lapses on its own.
          nextCheckIn = 0;
          await pause(pollMs, signal);
          continue;
        }
        await this.#context.ready(signal);
        let invited: number | null;
        let invitation: ClientRound | undefined;
        const bucket = evaluationBucket(await store.count());
        const asked = Date.now();
        // Again before the check-in lapses, and as soon as the bucket grew: that may be what a
        // schedule waits for to train again.
        if (holding || Date.now() >= nextCheckIn || bucket !== checkedInBucket) {
          const wait = { waitMs: longPollMs, afterRound: Math.max(0, lastRound) };
          const receipt = await edge.checkIn(bucket, signal, holding ? wait : undefined);
          nextCheckIn = Date.now() + receipt.checkInAfterSeconds * 1000;
          checkedInBucket = bucket;
          invited = receipt.invitedTo;
          invitation = receipt.invitation ?? undefined;
        } else {
          const current = await edge.currentRound(signal);
          invited =
            current?.inCohort && current.outcome === null && current.stage === "advertise_keys"
              ? current.round
              : null;
        }
        if (invited !== null && invited !== lastRound) {
          // Once per round, whatever happens in it: a round that went on without us is gone.
          lastRound = invited;
          const result = await this.#context.participate(
            { ...options.participate, round: invited, signal },
            invitation,
          );
          options.onRound?.(result);
          continue;
        }
        backoff = 0;
        if (!heldFully(longPollMs, asked)) await pause(pollMs, signal);
      } catch (error) {
        if (signal.aborted) break;
        options.onError?.(error);
        backoff = Math.min(maxBackoffMs, backoff === 0 ? pollMs : backoff * 2);
        // Jitter spreads a crowd of clients that failed together.
        await pause(backoff * (0.5 + crypto.getRandomValues(new Uint32Array(1))[0]! / 2 ** 33), signal);
      }
    }
  }
}
