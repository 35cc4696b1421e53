import { describe, expect, it } from "vitest";
import { FedRouterError } from "../../../client-sdk/src/errors.ts";
import { fetchWithRetry } from "../../../client-sdk/src/retry.ts";

function scripted(answers: (Response | Error)[]) {
  const calls: string[] = [];
  const fetchImpl = (async (url: string) => {
    calls.push(url);
    const next = answers.shift();
    if (!next) throw new Error("no more scripted answers");
    if (next instanceof Error) throw next;
    return next;
  }) as typeof fetch;
  return { fetchImpl, calls };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const noSleep = { sleep: async () => {} };

describe("fetchWithRetry", () => {
  it("retries network failures and 5xx answers, then succeeds", async () => {
    const { fetchImpl, calls } = scripted([
      new TypeError("connection refused"),
      json(503, {}),
      json(200, { ok: 1 }),
    ]);
    const response = await fetchWithRetry("http://edge/x", {}, { fetch: fetchImpl, ...noSleep });
    expect(await response.json()).toEqual({ ok: 1 });
    expect(calls).toHaveLength(3);
  });

  it("never retries a 4xx and surfaces the edge's error code", async () => {
    const { fetchImpl, calls } = scripted([
      json(409, { error: { code: "wrong_stage", message: "round is unmasking" } }),
    ]);
    const error = await fetchWithRetry(
      "http://edge/x",
      { method: "POST" },
      { fetch: fetchImpl, ...noSleep },
    ).catch((e) => e);
    expect(error).toBeInstanceOf(FedRouterError);
    expect(error).toMatchObject({ code: "http", status: 409, serverCode: "wrong_stage" });
    expect(error.message).toMatch(/round is unmasking/);
    expect(calls).toHaveLength(1);
  });

  it("gives up after the last attempt with the last failure", async () => {
    const { fetchImpl, calls } = scripted([
      json(500, {}),
      json(502, {}),
      json(500, { error: { code: "internal" } }),
    ]);
    const error = await fetchWithRetry(
      "http://edge/x",
      {},
      { fetch: fetchImpl, retry: { attempts: 3 }, ...noSleep },
    ).catch((e) => e);
    expect(error).toMatchObject({ code: "server", status: 500, serverCode: "internal" });
    expect(calls).toHaveLength(3);
  });

  it("backs off exponentially between attempts", async () => {
    const delays: number[] = [];
    const { fetchImpl } = scripted([new Error("x"), new Error("x"), new Error("x"), json(200, {})]);
    await fetchWithRetry(
      "http://edge/x",
      {},
      { fetch: fetchImpl, retry: { baseDelayMs: 100 }, sleep: async (ms) => void delays.push(ms) },
    );
    expect(delays).toHaveLength(3);
    // Full jitter in [ceiling/2, ceiling] with ceilings 100, 200, 400.
    [100, 200, 400].forEach((ceiling, i) => {
      expect(delays[i]).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delays[i]).toBeLessThanOrEqual(ceiling);
    });
  });
});
