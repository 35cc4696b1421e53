// Browser apps on other origins call the federation routes through the SDK: preflights are
// answered, and responses carry the CORS headers (with the ETag readable).
import { describe, expect, it } from "vitest";
import { call, createFederation, createTenant } from "../support/api.ts";

const APP = "https://app.example";

describe("CORS on federation routes", () => {
  it("answers the preflight of an authorised request from another origin", async () => {
    const handle = await createFederation(await createTenant(), 3);
    const reply = await call("OPTIONS", `/v1/federations/${handle.federationId}/models/latest`, {
      headers: {
        origin: APP,
        "access-control-request-method": "GET",
        "access-control-request-headers": "authorization, if-none-match",
      },
    });
    expect(reply.status).toBe(204);
    expect(reply.headers.get("access-control-allow-origin")).toBe("*");
    expect(reply.headers.get("access-control-allow-headers")).toMatch(/authorization/i);
    expect(reply.headers.get("access-control-allow-methods")).toMatch(/PUT/);
  });

  it("lets a page read the model pointer and its ETag, and still checks the token", async () => {
    const handle = await createFederation(await createTenant(), 3);
    const path = `/v1/federations/${handle.federationId}/models/latest`;
    const reply = await call("GET", path, { token: handle.clients[0]!.token, headers: { origin: APP } });
    expect(reply.status).toBe(200);
    expect(reply.headers.get("access-control-allow-origin")).toBe("*");
    expect(reply.headers.get("access-control-expose-headers")).toMatch(/etag/i);
    // The list routes name their next page in a Link header.
    expect(reply.headers.get("access-control-expose-headers")).toMatch(/link/i);
    const refused = await call("GET", path, { headers: { origin: APP } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("access-control-allow-origin")).toBe("*");
  });
});
