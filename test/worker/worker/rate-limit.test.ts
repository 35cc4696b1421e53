// Requests per bearer token: a burst over the limit is answered 429 rate_limited with Retry-After,
// while other tokens go on as before; with the RATE_LIMITER binding of wrangler.toml, and with the
// in-isolate token bucket the worker falls back to where no binding is bound.
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../../worker/app.ts";
import { createTenant } from "../support/api.ts";

const app = createApp();

/** The real app and Durable Objects, with some bindings and vars of the environment replaced. */
async function get(token: string, replaced: Record<string, unknown>): Promise<Response> {
  return await app.fetch(
    new Request("http://edge.test/v1/tenant", { headers: { authorization: `Bearer ${token}` } }),
    { ...env, ...replaced },
    createExecutionContext(),
  );
}

describe("rate limiting per token", () => {
  it("refuses a token over the in-isolate limit with 429 and Retry-After, and lets other tokens through", async () => {
    const busy = await createTenant("busy");
    const calm = await createTenant("calm");
    // The binding taken away and the fallback's limit lowered.
    const lowered = { RATE_LIMITER: undefined, RATE_LIMIT_REQUESTS: "5", RATE_LIMIT_PERIOD_SECONDS: "60" };
    for (let i = 0; i < 5; i++) expect((await get(busy.ownerToken, lowered)).status).toBe(200);
    const refused = await get(busy.ownerToken, lowered);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: { code: "rate_limited" } });
    // One request's worth of the bucket refills in 60 s / 5 = 12 s.
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(12);
    expect((await get(calm.ownerToken, lowered)).status).toBe(200);
  });

  it("refuses a burst over the binding's limit with 429 rate_limited, and lets other tokens through", async () => {
    // wrangler.toml binds RATE_LIMITER; the test binds a second one whose limit (5 a minute) a burst
    // reaches without the time it takes to send the 1000 a token may send in 10 s in production.
    expect(env.RATE_LIMITER).toBeDefined();
    const binding = (env as unknown as { TEST_RATE_LIMITER: RateLimit }).TEST_RATE_LIMITER;
    const busy = await createTenant("busy");
    const calm = await createTenant("calm");
    // Twelve: even when a minute's window ends during the burst (then up to ten pass), some are refused.
    const replies = await Promise.all(
      Array.from({ length: 12 }, () => get(busy.ownerToken, { RATE_LIMITER: binding })),
    );
    expect(replies.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(5);
    const refused = replies.find((r) => r.status !== 200);
    expect(refused?.status).toBe(429);
    expect(await refused?.json()).toMatchObject({ error: { code: "rate_limited" } });
    expect(refused?.headers.get("retry-after")).toBe("10");
    expect((await get(calm.ownerToken, { RATE_LIMITER: binding })).status).toBe(200);
  });
});
