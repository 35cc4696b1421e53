// Calls waiting for their quality: what record() needs besides it (query, model, cost, tags),
// kept in memory until feedback() brings the quality. The store keeps judged evaluations only,
// since training reads quality from every row.
import { FedRouterError } from "../errors.ts";

export interface PendingEvaluation {
  query: string;
  model: string;
  /** USD, from the call's usage and the app's price table. */
  cost: number;
  tags?: string[];
}

export class PendingEvaluations {
  readonly #limit: number;
  readonly #calls = new Map<string, PendingEvaluation>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  get size(): number {
    return this.#calls.size;
  }

  /** Keeps a call under a fresh id; past the limit the oldest call is forgotten (it never gets feedback). */
  add(evaluation: PendingEvaluation): string {
    const id = crypto.randomUUID();
    this.#calls.set(id, evaluation);
    if (this.#calls.size > this.#limit) this.#calls.delete(this.#calls.keys().next().value!);
    return id;
  }

  /** Takes a call out (so that one call is recorded once); put() returns it when recording failed. */
  take(id: string): PendingEvaluation {
    const evaluation = this.#calls.get(id);
    if (!evaluation)
      throw new FedRouterError(
        "bad_argument",
        `feedback(): no call awaits feedback under "${id}" (unknown, already recorded, or forgotten past maxPending)`,
      );
    this.#calls.delete(id);
    return evaluation;
  }

  put(id: string, evaluation: PendingEvaluation): void {
    this.#calls.set(id, evaluation);
  }
}
