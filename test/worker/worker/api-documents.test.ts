import { describe, expect, it } from "vitest";
import { call } from "../support/api.ts";

describe("API documents and pages", () => {
  it("serves an OpenAPI 3.1 document generated from the wire schemas", async () => {
    const reply = await call("GET", "/v1/openapi.json");
    expect(reply.status).toBe(200);
    expect(reply.body.openapi).toBe("3.1.0");
    const paths = Object.keys(reply.body.paths);
    for (const path of [
      "/tenants",
      "/federations",
      "/federations/{federationId}/rounds/{round}/masked-input",
      "/federations/{federationId}/models/latest",
    ])
      expect(paths).toContain(path);
    expect(Object.keys(reply.body.components.schemas)).toEqual(
      expect.arrayContaining(["Error", "FederationConfig", "Round", "ModelPointer"]),
    );
  });

  it("serves the reference page, the dashboard and their assets from the worker itself", async () => {
    const reference = await call("GET", "/v1/docs");
    expect(reference.status).toBe(200);
    expect(reference.body).toContain("/assets/reference.js");
    const dashboard = await call("GET", "/");
    expect(dashboard.body).toContain("/assets/uplot.min.js");
    expect(dashboard.headers.get("content-security-policy")).toContain("default-src 'none'");
    for (const asset of [
      "uplot.min.js",
      "uplot.min.css",
      "dashboard.js",
      "dashboard-charts.js",
      "dashboard-create.js",
      "reference.js",
    ]) {
      const reply = await call("GET", `/assets/${asset}`);
      expect(reply.status).toBe(200);
      expect(String(reply.body).length).toBeGreaterThan(500);
    }
  });

  it("answers unknown routes and malformed JSON in the error envelope", async () => {
    const missing = await call("GET", "/v1/nothing-here");
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("not_found");
    const response = await call("POST", "/v1/tenants", {
      token: "test-operator-token",
      headers: { "content-type": "application/json" },
      bytes: new TextEncoder().encode("{not json"),
    });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe("invalid_json");
  });
});
