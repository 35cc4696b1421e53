// A Vercel AI SDK language model that routes: per call it asks the federation's router which of the
// app's models should answer, calls that model, returns its answer with the decision in provider
// metadata, and keeps the call's cost until feedback() brings its quality and records the evaluation.
import type {
  JSONObject,
  LanguageModelV4,
  LanguageModelV4CallOptions,
  LanguageModelV4GenerateResult,
  LanguageModelV4Prompt,
  LanguageModelV4StreamPart,
  LanguageModelV4StreamResult,
  LanguageModelV4Usage,
  SharedV4ProviderMetadata,
} from "@ai-sdk/provider";
import type { FedrouterClient } from "../client.ts";
import { FedRouterError, requireArgument } from "../errors.ts";
import type { RouteDecision, RouteOptions } from "../route.ts";
import { PendingEvaluations } from "./pending.ts";
import { callCost, checkedPrices, type ModelPrice, type PriceTable } from "./prices.ts";
import { lastUserText } from "./prompt.ts";

/** The provider key of the decision in provider metadata, and of per-call route options. */
export const PROVIDER = "fedrouter";

/** What the adapter uses of a client (a FedrouterClient has it all). */
export type RoutingClient = Pick<FedrouterClient, "route" | "record" | "sync" | "model">;

export interface FedrouterModelOptions {
  client: RoutingClient;
  /** The app's models by fedrouter model name: the router chooses among those it knows. */
  models: Record<string, LanguageModelV4>;
  /** USD per million tokens for every model above (the federation's `models` list fits as is). */
  prices: PriceTable;
  /**
   * Route options of every call; a call's `providerOptions.fedrouter` overrides them key by key.
   * `allow` is always narrowed to the models above.
   */
  route?: RouteOptions;
  /** The text a call is routed and recorded by. Default: the last user message's text. */
  query?: (prompt: LanguageModelV4Prompt) => string;
  /** Most calls kept waiting for feedback(); past it the oldest is forgotten. Default 1000. */
  maxPending?: number;
}

/** The routing decision of a call, as provider metadata carries it under `fedrouter`. */
export interface RoutingMetadata {
  /** Pass it to feedback(); absent when the call cannot be recorded (its model reported no usage). */
  evaluationId?: string;
  model: string;
  version: number;
  /** USD from the call's usage and the price table; null when the usage lacks token counts. */
  cost: number | null;
  predictions: { model: string; quality: number; cost: number; eligible: boolean }[];
}

export interface FedrouterLanguageModel extends LanguageModelV4 {
  /** Records the evaluation of a call with its quality in [0, 1] (the id is in its provider metadata). */
  feedback(evaluationId: string, quality: number): Promise<void>;
  /** Calls answered and still waiting for feedback(). */
  readonly pendingFeedback: number;
}

const DEFAULT_MAX_PENDING = 1000;

/** Creates the routing language model; throws a bad_argument FedRouterError when an option is wrong. */
export function fedrouterModel(options: FedrouterModelOptions): FedrouterLanguageModel {
  const { client, models } = options;
  requireArgument(
    typeof client?.route === "function" && typeof client.record === "function",
    "fedrouterModel(): client must be a FedrouterClient",
  );
  requireArgument(
    typeof models === "object" && models !== null && Object.keys(models).length > 0,
    "fedrouterModel(): models must map fedrouter model names to AI SDK language models",
  );
  for (const [name, model] of Object.entries(models))
    requireArgument(
      model?.specificationVersion === "v4",
      `fedrouterModel(): models["${name}"] is not an AI SDK language model (specification v4)`,
    );
  const prices = checkedPrices(options.prices, Object.keys(models));
  const maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
  requireArgument(
    Number.isInteger(maxPending) && maxPending >= 1,
    "fedrouterModel(): maxPending must be an integer >= 1",
  );
  const pending = new PendingEvaluations(maxPending);
  const queryOf = options.query ?? lastUserText;

  /** Routes one call among the app's models that the held router knows. */
  async function decide(
    call: LanguageModelV4CallOptions,
  ): Promise<{ query: string; route: RouteOptions; decision: RouteDecision }> {
    const query = queryOf(call.prompt);
    const { [PROVIDER]: perCall } = call.providerOptions ?? {};
    const route = { ...options.route, ...(perCall as RouteOptions | undefined) };
    if (!client.model) await client.sync();
    const known = new Set(client.model?.models ?? []);
    const allowed = Object.keys(models).filter((m) => known.has(m) && (route.allow?.includes(m) ?? true));
    if (allowed.length === 0)
      throw new FedRouterError(
        "no_eligible_model",
        "fedrouterModel(): none of the app's models is both allowed and known to the federation's router",
      );
    return { query, route, decision: await client.route(query, { ...route, allow: allowed }) };
  }

  /** The call as the chosen model receives it: without the adapter's own provider options. */
  function forward(call: LanguageModelV4CallOptions): LanguageModelV4CallOptions {
    const { [PROVIDER]: _ours, ...theirs } = call.providerOptions ?? {};
    return { ...call, providerOptions: theirs };
  }

  /** Keeps the answered call for feedback() and returns its metadata. */
  function answered(
    query: string,
    route: RouteOptions,
    decision: RouteDecision,
    usage: LanguageModelV4Usage,
  ): RoutingMetadata {
    const cost = callCost(usage, prices.get(decision.model) as ModelPrice);
    const evaluationId =
      cost === undefined
        ? undefined
        : pending.add({
            query,
            model: decision.model,
            cost,
            ...(route.tags?.length ? { tags: [...route.tags] } : {}),
          });
    return {
      ...(evaluationId ? { evaluationId } : {}),
      model: decision.model,
      version: decision.version,
      cost: cost ?? null,
      predictions: decision.predictions.map((p) => ({ ...p })),
    };
  }

  const withDecision = (
    metadata: SharedV4ProviderMetadata | undefined,
    routing: RoutingMetadata,
  ): SharedV4ProviderMetadata => ({ ...metadata, [PROVIDER]: routing as unknown as JSONObject });

  return {
    specificationVersion: "v4",
    provider: PROVIDER,
    modelId: "router",
    // URLs are downloaded by the AI SDK: the chosen model is not known until the call.
    supportedUrls: {},
    get pendingFeedback() {
      return pending.size;
    },

    async doGenerate(call): Promise<LanguageModelV4GenerateResult> {
      const { query, route, decision } = await decide(call);
      const result = await models[decision.model]!.doGenerate(forward(call));
      if (result.finishReason.unified === "error") return result;
      return {
        ...result,
        providerMetadata: withDecision(
          result.providerMetadata,
          answered(query, route, decision, result.usage),
        ),
      };
    },

    async doStream(call): Promise<LanguageModelV4StreamResult> {
      const { query, route, decision } = await decide(call);
      const result = await models[decision.model]!.doStream(forward(call));
      // A stream that reported an error is not an answer to learn from, whatever follows it.
      let failed = false;
      const stream = result.stream.pipeThrough(
        new TransformStream<LanguageModelV4StreamPart, LanguageModelV4StreamPart>({
          transform(part, controller) {
            if (part.type === "error") failed = true;
            if (part.type !== "finish" || failed || part.finishReason.unified === "error") {
              controller.enqueue(part);
              return;
            }
            const routing = answered(query, route, decision, part.usage);
            controller.enqueue({ ...part, providerMetadata: withDecision(part.providerMetadata, routing) });
          },
        }),
      );
      return { ...result, stream };
    },

    async feedback(evaluationId, quality) {
      requireArgument(typeof evaluationId === "string", "feedback(): evaluationId must be a string");
      requireArgument(
        typeof quality === "number" && quality >= 0 && quality <= 1,
        `feedback(): quality must be a number in [0, 1], got ${String(quality)}`,
      );
      const call = pending.take(evaluationId);
      try {
        await client.record({ ...call, quality });
      } catch (error) {
        // The store failed: the call may get its feedback again.
        pending.put(evaluationId, call);
        throw error;
      }
    },
  };
}
