// The Hono environment of the worker: Cloudflare bindings and the caller established by auth.

import type { ClientToken } from "../core/wire/tokens.ts";
import type { Caller } from "../durable-objects/caller.ts";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    /** Set by the auth middleware of each route. */
    caller: Caller;
    /** The parsed client token, when the caller is a client (its federation id routes the request). */
    clientToken: ClientToken | undefined;
  };
}

declare global {
  /** Vars outside wrangler.toml: the limits of the in-isolate rate limiter when no RATE_LIMITER is bound. */
  interface Env {
    RATE_LIMIT_REQUESTS?: string;
    RATE_LIMIT_PERIOD_SECONDS?: string;
  }
}
