// Requests per bearer token: Workers' rate limiting binding (RATE_LIMITER in wrangler.toml, which
// wrangler dev simulates) or, where none is bound, a token bucket per token in this isolate.
import type { Context } from "hono";
import { sha256Hex } from "../core/sha256.ts";
import type { AppEnv } from "./env.ts";
import { ApiError } from "./errors.ts";

export interface RateLimits {
  /** Requests a token may send per period. */
  requests: number;
  periodSeconds: number;
}

/** The limits of the in-isolate fallback when no vars set them: those of wrangler.toml's binding. */
const DEFAULT_LIMITS: RateLimits = { requests: 1000, periodSeconds: 10 };

/**
 * The period of the binding in wrangler.toml. The binding counts in fixed windows and does not say
 * when one ends, so a refused token is told to wait one period, within which its window resets.
 */
const BINDING_PERIOD_SECONDS = 10;

/** Tokens the fallback tracks at most; beyond that the least recently seen are forgotten. */
const MAX_TRACKED_TOKENS = 10_000;

/** Seconds until the token may send again, or 0 when this request may pass. */
type Wait = number;

/** The fallback: a token bucket per key, refilled continuously, in this isolate's memory. */
class TokenBuckets {
  readonly #limits: RateLimits;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(limits: RateLimits) {
    this.#limits = limits;
  }

  take(key: string, now: number): Wait {
    const { requests, periodSeconds } = this.#limits;
    const perMs = requests / (periodSeconds * 1000);
    const bucket = this.#buckets.get(key);
    const tokens = bucket ? Math.min(requests, bucket.tokens + (now - bucket.at) * perMs) : requests;
    // Re-inserted so the map's order is least recently seen first.
    this.#buckets.delete(key);
    if (this.#buckets.size >= MAX_TRACKED_TOKENS) this.#buckets.delete(this.#buckets.keys().next().value!);
    if (tokens < 1) {
      this.#buckets.set(key, { tokens, at: now });
      return Math.max(1, Math.ceil((1 - tokens) / perMs / 1000));
    }
    this.#buckets.set(key, { tokens: tokens - 1, at: now });
    return 0;
  }
}

/** One set of buckets per configuration, kept for the isolate's life. */
const fallbacks = new Map<string, TokenBuckets>();

function positive(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new Error(`${name} must be a positive number`);
  return number;
}

/** The fallback's limits: vars RATE_LIMIT_REQUESTS and RATE_LIMIT_PERIOD_SECONDS, else the defaults. */
function fallbackLimits(env: Env): RateLimits {
  return {
    requests: positive(env.RATE_LIMIT_REQUESTS, DEFAULT_LIMITS.requests, "RATE_LIMIT_REQUESTS"),
    periodSeconds: positive(
      env.RATE_LIMIT_PERIOD_SECONDS,
      DEFAULT_LIMITS.periodSeconds,
      "RATE_LIMIT_PERIOD_SECONDS",
    ),
  };
}

async function wait(env: Env, key: string): Promise<Wait> {
  const binding = env.RATE_LIMITER as RateLimit | undefined;
  if (binding) return (await binding.limit({ key })).success ? 0 : BINDING_PERIOD_SECONDS;
  const limits = fallbackLimits(env);
  const config = `${limits.requests}/${limits.periodSeconds}`;
  let buckets = fallbacks.get(config);
  if (!buckets) {
    buckets = new TokenBuckets(limits);
    fallbacks.set(config, buckets);
  }
  return buckets.take(key, Date.now());
}

/**
 * Counts a request against its bearer token and refuses it with 429 rate_limited and Retry-After
 * once the token is over its limit. The key is the token's SHA-256, so no secret is kept or sent on.
 */
export async function limitRate(c: Context<AppEnv>, token: string): Promise<void> {
  const seconds = await wait(c.env, await sha256Hex(token));
  if (seconds === 0) return;
  c.header("Retry-After", String(seconds));
  throw new ApiError("rate_limited", `too many requests with this token: retry in ${seconds} s`);
}
