// Creating a federation refuses, with 422 and the limit in the message, a router the platform could
// not carry: a model file over KV's 25 MiB value, or contributions over what one RPC takes.
import { describe, expect, it } from "vitest";
import { MAX_CONTRIBUTION_LENGTH, MAX_MODEL_FILE_BYTES } from "../../../core/wire/limits.ts";
import { call, createTenant, federationConfig } from "../support/api.ts";

describe("the capacity of a new federation's router", () => {
  it("refuses a router whose model file KV could not store, before building it", async () => {
    const tenant = await createTenant();
    // 12 million parameters: a 48.8 MB model file.
    const reply = await call("POST", "/v1/federations", {
      token: tenant.ownerToken,
      json: federationConfig({
        router: { kind: "mlp", hyperparameters: { hidden: 2000 } },
        embedder: { id: "large-embedder", dimension: 4096 },
      }),
    });
    expect(reply.status).toBe(422);
    expect(reply.body.error.code).toBe("invalid_config");
    expect(reply.body.error.message).toContain(`${MAX_MODEL_FILE_BYTES} bytes (25 MiB)`);
  });

  it("refuses a router whose contributions a round could not aggregate", async () => {
    const tenant = await createTenant();
    // 300 clusters of 16,384-d: a Lloyd pass sends 4.9 million values, in a 20 MB model file.
    const reply = await call("POST", "/v1/federations", {
      token: tenant.ownerToken,
      json: federationConfig({
        router: { kind: "kmeans", hyperparameters: { clusters: 300 } },
        embedder: { id: "large-embedder", dimension: 16_384 },
      }),
    });
    expect(reply.status).toBe(422);
    expect(reply.body.error.code).toBe("invalid_config");
    expect(reply.body.error.message).toContain(`over the ${MAX_CONTRIBUTION_LENGTH} a round can aggregate`);
  });
});
