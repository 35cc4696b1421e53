// Growing a federation refuses, like creating one, a grown router the platform could not carry.
import { describe, expect, it } from "vitest";
import { initialMlpState } from "../../../core/mlp/state.ts";
import { federationConfigSchema } from "../../../core/wire/federation.ts";
import { MAX_MODEL_FILE_BYTES } from "../../../core/wire/limits.ts";
import { grownModel } from "../../../durable-objects/growth.ts";
import { federationRouter } from "../../../durable-objects/router-kind.ts";
import { federationConfig } from "../support/api.ts";

describe("growing a federation", () => {
  it("refuses joining clients when the frozen teacher beside the weights would overflow a model version", async () => {
    const config = federationConfigSchema.parse(
      federationConfig({
        router: { kind: "mlp", hyperparameters: { hidden: 700 } },
        embedder: { id: "large-embedder", dimension: 4096 },
      }),
    );
    // 3.4 million parameters: a 13.4 MB model, 26.9 MB with the teacher joining clients train towards.
    const models = config.models.map((m) => m.id);
    const initial = initialMlpState({ models, embedder: config.embedder, hidden: 700 });
    const m = models.length;
    const trained = {
      ...initial,
      phase: "done" as const,
      costStats: {
        mu: new Float64Array(m),
        sigma: new Float64Array(m).fill(1),
        count: new Float64Array(m).fill(1),
      },
    };
    const router = federationRouter(config);
    if (!router.ok) throw new Error(router.message);
    const grown = grownModel(router.value, trained, config, { kind: "join-clients" });
    expect(grown).toMatchObject({ ok: false, code: "invalid_config" });
    expect(!grown.ok && grown.message).toContain(`${MAX_MODEL_FILE_BYTES} bytes (25 MiB)`);
  });
});
