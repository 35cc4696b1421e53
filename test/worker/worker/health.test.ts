import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("edge worker", () => {
  it("answers the health route inside workerd", async () => {
    const response = await exports.default.fetch("http://edge.test/v1/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true });
  });
});
