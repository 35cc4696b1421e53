// HTTP with retries: network failures and 5xx answers are retried with exponential backoff and
// jitter; 4xx answers are the caller's mistake and are never retried.
import { FedRouterError } from "./errors.ts";

export interface RetryPolicy {
  /** Attempts in all, the first included. Default 4. */
  attempts: number;
  /** Delay before the first retry, doubled each time. Default 250 ms. */
  baseDelayMs: number;
  /** Upper bound of one delay. Default 5 s. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 4, baseDelayMs: 250, maxDelayMs: 5000 };

export interface HttpOptions {
  fetch?: typeof fetch;
  retry?: Partial<RetryPolicy>;
  signal?: AbortSignal;
  /** Injected for tests; defaults to setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The edge's error envelope, if the body is one. */
async function errorEnvelope(response: Response): Promise<{ code?: string; message?: string }> {
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string } };
    return body.error ?? {};
  } catch {
    return {};
  }
}

/**
 * Fetches with the retry policy. Returns the response for 2xx and 304; throws a FedRouterError
 * ("http" for 4xx with the edge's code, "server" after the last 5xx, "network" after the last
 * network failure).
 */
export async function fetchWithRetry(
  url: string,
  init: RequestInit,
  options: HttpOptions = {},
): Promise<Response> {
  const policy = { ...DEFAULT_RETRY, ...options.retry };
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? defaultSleep;
  let lastError: FedRouterError | undefined;
  for (let attempt = 0; attempt < policy.attempts; attempt++) {
    if (attempt > 0) {
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      // Full jitter spreads the retries of many clients after an outage.
      await sleep(ceiling / 2 + (ceiling / 2) * Math.random());
    }
    if (options.signal?.aborted) throw new FedRouterError("aborted", `request to ${url} was aborted`);
    let response: Response;
    try {
      response = await doFetch(url, { ...init, ...(options.signal ? { signal: options.signal } : {}) });
    } catch (cause) {
      if (options.signal?.aborted)
        throw new FedRouterError("aborted", `request to ${url} was aborted`, { cause });
      lastError = new FedRouterError("network", `could not reach ${url}: ${(cause as Error).message}`, {
        cause,
      });
      continue;
    }
    if (response.ok || response.status === 304) return response;
    const envelope = await errorEnvelope(response);
    const message = `${init.method ?? "GET"} ${url} answered ${response.status}${envelope.message ? `: ${envelope.message}` : ""}`;
    const details = { status: response.status, ...(envelope.code ? { serverCode: envelope.code } : {}) };
    if (response.status < 500) throw new FedRouterError("http", message, details);
    lastError = new FedRouterError("server", message, details);
  }
  throw lastError ?? new FedRouterError("network", `no attempt was made to reach ${url}`);
}
