// Bounded retries with exponential backoff, for the platform's transient failures: a KV read that
// misses a key (KV is eventually consistent across locations), a write or a call that throws.

export interface Backoff {
  /** Tries in all, the first included. */
  attempts: number;
  /** The wait before the second try; each later wait doubles. */
  firstDelayMs: number;
}

/** KV inside a request: four tries within about a third of a second, well under a client's timeout. */
export const KV_BACKOFF: Backoff = { attempts: 4, firstDelayMs: 50 };

/**
 * Runs `operation` until `accepted` takes its answer or the tries run out, and returns the last
 * answer; a throw is retried too, and the last try's throw propagates.
 */
export async function retrying<T>(
  operation: () => Promise<T>,
  accepted: (answer: T) => boolean,
  backoff: Backoff,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const last = attempt >= backoff.attempts;
    try {
      const answer = await operation();
      if (accepted(answer) || last) return answer;
    } catch (error) {
      if (last) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, backoff.firstDelayMs * 2 ** (attempt - 1)));
  }
}
