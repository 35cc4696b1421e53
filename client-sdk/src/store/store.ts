// Where an app's evaluations live: on the device, never sent anywhere. Training reads them
// from here; only masked sums of what it learns leave the client.

/** One judged answer: the query, the model that answered, its quality and its cost. */
export interface Evaluation {
  query: string;
  model: string;
  /** Quality in [0, 1]. */
  quality: number;
  /** Cost of the answer in USD. */
  cost: number;
  /**
   * The probability with which route() chose this model (its decision's `propensity`), for an
   * evaluation of a routed answer; absent for offline judgements of a model chosen otherwise
   * (those weigh 1 in training). Training weighs a routed evaluation by 1 / propensity, clipped
   * and self-normalised, so the models the router favours do not crowd out what it learns.
   */
  propensity?: number;
  /** Milliseconds since the epoch; set by record() when absent. */
  at?: number;
  /** A feature vector the app computed itself (its embedder must match the federation's). */
  vector?: number[];
  /**
   * Context tags of the query (a feature, an endpoint, a category). Those in the federation's
   * tag vocabulary are learnt from; the others are kept but ignored.
   */
  tags?: string[];
}

export interface EvaluationStore {
  add(evaluation: Evaluation): Promise<void>;
  all(): Promise<Evaluation[]>;
  count(): Promise<number>;
  clear(): Promise<void>;
}

/** Keeps evaluations in memory: for tests, short-lived processes and server-side apps. */
export class MemoryStore implements EvaluationStore {
  #evaluations: Evaluation[] = [];
  async add(evaluation: Evaluation): Promise<void> {
    this.#evaluations.push(structuredClone(evaluation));
  }
  async all(): Promise<Evaluation[]> {
    return structuredClone(this.#evaluations);
  }
  async count(): Promise<number> {
    return this.#evaluations.length;
  }
  async clear(): Promise<void> {
    this.#evaluations = [];
  }
}
