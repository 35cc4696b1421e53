// The MLP router's model file: round trip, and the clear failures the issue asks for.
import { describe, expect, it } from "vitest";
import { createFederatedMlp } from "../../../../core/mlp/federated.ts";
import { createReferenceTrainer } from "../../../../core/mlp/reference-trainer.ts";
import { encodeMlpRouter, loadMlpRouter } from "../../../../core/mlp/router-file.ts";
import { initialMlpState } from "../../../../core/mlp/state.ts";
import { decodeModelFile, encodeModelFile, ModelFileError } from "../../../../core/model-file.ts";

const embedder = { id: "hash-64", dimension: 12 };
const models = ["gpt-4", "llama-3", "mixtral"];

function trainedState() {
  const state = initialMlpState({ models, embedder, hidden: 8 });
  return {
    ...state,
    phase: "done" as const,
    round: 5,
    costStats: { mu: Float64Array.of(0.01, 0.002, 0.003), sigma: Float64Array.of(0.5, 0.25, 0.125) },
  };
}

describe("the mlp model file", () => {
  it("round-trips weights, statistics, hyperparameters and progress", () => {
    const state = trainedState();
    const algorithm = createFederatedMlp(createReferenceTrainer());
    const restored = algorithm.fromModelFile(decodeModelFile(encodeModelFile(algorithm.toModelFile(state))));
    expect(restored.params).toEqual(state.params);
    expect(restored.costStats).toEqual(state.costStats);
    expect(restored.config).toEqual(state.config);
    expect([restored.phase, restored.round]).toEqual(["done", 5]);
    const router = loadMlpRouter(encodeMlpRouter(state), embedder, models);
    expect(router.shape).toEqual({ dimension: 12, hidden: 8, modelCount: 3 });
    expect(router.params).toEqual(state.params);
  });

  it("refuses a router trained with another embedder", () => {
    const bytes = encodeMlpRouter(trainedState());
    expect(() => loadMlpRouter(bytes, { id: "minilm", dimension: 12 }, models)).toThrow(/embedder hash-64/);
    expect(() => loadMlpRouter(bytes, { id: "hash-64", dimension: 384 }, models)).toThrow(ModelFileError);
  });

  it("refuses a router for another model list", () => {
    const bytes = encodeMlpRouter(trainedState());
    expect(() => loadMlpRouter(bytes, embedder, ["gpt-4", "mixtral", "llama-3"])).toThrow(
      /models \[gpt-4, llama-3/,
    );
  });

  it("refuses a truncated file", () => {
    const bytes = encodeMlpRouter(trainedState());
    const load = () => loadMlpRouter(bytes.subarray(0, bytes.length - 4), embedder, models);
    expect(load).toThrow(ModelFileError);
    expect(load).toThrow(/truncated|body is/);
  });

  it("refuses weights that do not fit the declared shape", () => {
    const file = createFederatedMlp(createReferenceTrainer()).toModelFile(trainedState());
    file.tensors["layer2.weight"] = new Float32Array(10);
    expect(() => loadMlpRouter(file, embedder, models)).toThrow(/layer2.weight has 10 values/);
  });
});
