// @fedrouter/client/ai through the AI SDK's own entry points (generateText, streamText) with its
// mock language models as the app's models, routed by a client of a federation trained on the edge.
import type { LanguageModelV4StreamPart, LanguageModelV4Usage } from "@ai-sdk/provider";
import { generateText, streamText } from "ai";
import { convertArrayToReadableStream, MockLanguageModelV4 } from "ai/test";
import { beforeAll, describe, expect, it } from "vitest";
import { fedrouterModel, type RoutingMetadata } from "../../../client-sdk/src/ai/index.ts";
import { type EdgeFederation, SMALL_KMEANS, trainedFederation } from "./support/edge.ts";
import { fixture } from "./support/fixture.ts";

const data = fixture();
const names = data.benchmark.models;
/** The app's price table: USD per million tokens, dearer for later models. */
const prices = Object.fromEntries(
  names.map((m, j) => [m, { inputPrice: 0.5 * (j + 1), outputPrice: 2 * (j + 1) }]),
);
const query = "explain the theory of relativity";

let federation: EdgeFederation;
beforeAll(async () => {
  federation = await trainedFederation(data, SMALL_KMEANS);
});

function usage(input: number | undefined, output: number | undefined): LanguageModelV4Usage {
  return {
    inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined },
    outputTokens: { total: output, text: output, reasoning: undefined },
  };
}

/** One mock per model: it answers with its own name, and its own token counts (so each cost differs). */
function mocks(tokens = (j: number) => usage(100 + j, 40 + 10 * j)) {
  return Object.fromEntries(
    names.map((name, j) => [
      name,
      new MockLanguageModelV4({
        modelId: name,
        doGenerate: {
          content: [{ type: "text", text: `answer of ${name}` }],
          finishReason: { unified: "stop", raw: "stop" },
          usage: tokens(j),
          warnings: [],
        },
        doStream: () =>
          Promise.resolve({
            stream: convertArrayToReadableStream<LanguageModelV4StreamPart>([
              { type: "stream-start", warnings: [] },
              { type: "text-start", id: "t" },
              { type: "text-delta", id: "t", delta: "answer of " },
              { type: "text-delta", id: "t", delta: name },
              { type: "text-end", id: "t" },
              { type: "finish", finishReason: { unified: "stop", raw: "stop" }, usage: tokens(j) },
            ]),
          }),
      }),
    ]),
  );
}

const costOf = (name: string, input: number, output: number) =>
  (input * prices[name]!.inputPrice + output * prices[name]!.outputPrice) / 1e6;

function setUp(models = mocks()) {
  const { client } = federation.client();
  return { client, models, model: fedrouterModel({ client, models, prices }) };
}

const routing = (metadata: unknown) => (metadata as { fedrouter: RoutingMetadata }).fedrouter;

describe("fedrouterModel", () => {
  it("answers generateText with the routed model, the decision in provider metadata, and records cost x prices on feedback", async () => {
    const { client, models, model } = setUp();
    const result = await generateText({ model, prompt: query });
    const expected = await client.route(query, { allow: names });
    const decision = routing(result.providerMetadata);
    expect(decision.model).toBe(expected.model);
    expect(decision.version).toBe(expected.version);
    expect(decision.predictions).toEqual(expected.predictions);
    expect(result.text).toBe(`answer of ${expected.model}`);
    for (const name of names)
      expect(models[name]!.doGenerateCalls).toHaveLength(name === expected.model ? 1 : 0);
    const j = names.indexOf(expected.model);
    expect(decision.cost).toBeCloseTo(costOf(expected.model, 100 + j, 40 + 10 * j), 15);

    expect(await client.store.count()).toBe(0);
    await model.feedback(decision.evaluationId!, 0.75);
    expect(await client.store.all()).toMatchObject([
      { query, model: expected.model, quality: 0.75, cost: decision.cost },
    ]);
    // One call, one evaluation.
    await expect(model.feedback(decision.evaluationId!, 0.5)).rejects.toMatchObject({ code: "bad_argument" });
    expect(await client.store.count()).toBe(1);
  });

  it("streams with streamText, the decision arriving with the finish, and records on feedback", async () => {
    const { client, models, model } = setUp();
    const result = streamText({ model, prompt: [{ role: "user", content: query }] });
    const expected = await client.route(query, { allow: names });
    expect(await result.text).toBe(`answer of ${expected.model}`);
    const decision = routing(await result.providerMetadata);
    expect(decision.model).toBe(expected.model);
    expect(models[expected.model]!.doStreamCalls).toHaveLength(1);
    const j = names.indexOf(expected.model);
    expect(decision.cost).toBeCloseTo(costOf(expected.model, 100 + j, 40 + 10 * j), 15);
    expect(model.pendingFeedback).toBe(1);
    await model.feedback(decision.evaluationId!, 1);
    expect(model.pendingFeedback).toBe(0);
    expect(await client.store.all()).toMatchObject([
      { query, model: expected.model, quality: 1, cost: decision.cost },
    ]);
  });

  it("routes among the app's models only, with per-call route options and tags from providerOptions", async () => {
    const { client } = federation.client();
    const all = mocks();
    const cheapest = (await client.route(query, { lambda: 1e9 })).model;
    // Without the cheapest model in the app's map the router cannot pick it, whatever lambda says.
    const { [cheapest]: _dropped, ...models } = all;
    const model = fedrouterModel({ client, models, prices, route: { lambda: 1e9 } });
    const result = await generateText({
      model,
      prompt: query,
      providerOptions: { fedrouter: { tags: ["support"] } },
    });
    const decision = routing(result.providerMetadata);
    expect(decision.model).not.toBe(cheapest);
    expect(decision.model).toBe(
      (await client.route(query, { lambda: 1e9, allow: Object.keys(models) })).model,
    );
    // The chosen model does not see the adapter's own provider options.
    expect(all[decision.model]!.doGenerateCalls[0]!.providerOptions).toEqual({});
    await model.feedback(decision.evaluationId!, 0.2);
    expect((await client.store.all())[0]).toMatchObject({ model: decision.model, tags: ["support"] });
    // A call's bad route option is the client's bad_argument, before any model is called.
    await expect(
      generateText({ model, prompt: query, maxRetries: 0, providerOptions: { fedrouter: { lambda: -1 } } }),
    ).rejects.toMatchObject({ code: "bad_argument" });
  });

  it("propagates the chosen model's errors and keeps nothing for feedback", async () => {
    const { client } = federation.client();
    const chosen = (await client.route(query)).model;
    const failing = mocks();
    failing[chosen] = new MockLanguageModelV4({
      doGenerate: () => Promise.reject(new Error("provider down")),
      doStream: () =>
        Promise.resolve({
          stream: convertArrayToReadableStream<LanguageModelV4StreamPart>([
            { type: "stream-start", warnings: [] },
            { type: "text-start", id: "t" },
            { type: "text-delta", id: "t", delta: "half an ans" },
            { type: "error", error: new Error("connection reset") },
            { type: "finish", finishReason: { unified: "error", raw: undefined }, usage: usage(100, 3) },
          ]),
        }),
    });
    const model = fedrouterModel({ client, models: failing, prices });
    await expect(generateText({ model, prompt: query, maxRetries: 0 })).rejects.toThrow("provider down");

    const errors: unknown[] = [];
    const result = streamText({ model, prompt: query, onError: ({ error }) => void errors.push(error) });
    const parts = [];
    for await (const part of result.fullStream) parts.push(part);
    expect(errors).toEqual([expect.objectContaining({ message: "connection reset" })]);
    // The failed stream carries no decision to give feedback on.
    expect(parts.some((p) => p.type === "text-delta")).toBe(true);
    expect(JSON.stringify(parts)).not.toContain("evaluationId");
    expect(model.pendingFeedback).toBe(0);
    expect(await client.store.count()).toBe(0);
  });

  it("keeps no evaluation when the model reports no token counts: its cost is unknown", async () => {
    const { client, model } = setUp(mocks(() => usage(undefined, undefined)));
    const decision = routing((await generateText({ model, prompt: query })).providerMetadata);
    expect(decision.cost).toBeNull();
    expect(decision.evaluationId).toBeUndefined();
    expect(model.pendingFeedback).toBe(0);
    expect(await client.store.count()).toBe(0);
  });

  it("refuses a model without a price, a prompt without user text and a quality outside [0, 1]", async () => {
    const { client } = federation.client();
    const models = mocks();
    const { [names[0]!]: _missing, ...somePrices } = prices;
    expect(() => fedrouterModel({ client, models, prices: somePrices })).toThrow(/no price for/);
    const model = fedrouterModel({ client, models, prices });
    await expect(
      generateText({ model, system: "be brief", messages: [{ role: "user", content: " " }], maxRetries: 0 }),
    ).rejects.toMatchObject({ code: "bad_argument", message: /no user text/ });
    const decision = routing((await generateText({ model, prompt: query })).providerMetadata);
    await expect(model.feedback(decision.evaluationId!, 1.5)).rejects.toMatchObject({ code: "bad_argument" });
    // A refused quality does not use the call up.
    expect(model.pendingFeedback).toBe(1);
    expect(await client.store.count()).toBe(0);
  });

  it("keeps a call for another feedback when the store fails to record it", async () => {
    const { client } = federation.client();
    let failures = 1;
    // The client as the adapter sees it, with a store that fails once.
    const flaky = {
      route: client.route.bind(client),
      sync: client.sync.bind(client),
      get model() {
        return client.model;
      },
      record: (evaluation: Parameters<typeof client.record>[0]) =>
        failures-- > 0 ? Promise.reject(new Error("disk full")) : client.record(evaluation),
    };
    const model = fedrouterModel({ client: flaky, models: mocks(), prices });
    const decision = routing((await generateText({ model, prompt: query })).providerMetadata);
    await expect(model.feedback(decision.evaluationId!, 0.4)).rejects.toThrow("disk full");
    expect(model.pendingFeedback).toBe(1);
    await model.feedback(decision.evaluationId!, 0.4);
    expect(await client.store.all()).toMatchObject([{ model: decision.model, quality: 0.4 }]);
  });
});
