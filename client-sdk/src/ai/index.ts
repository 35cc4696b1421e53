// @fedrouter/client/ai: the SDK inside the Vercel AI SDK. A language model that routes each call
// among the app's models with the federation's router and records what the answers cost and were worth.
export {
  type FedrouterLanguageModel,
  type FedrouterModelOptions,
  fedrouterModel,
  PROVIDER,
  type RoutingClient,
  type RoutingMetadata,
} from "./model.ts";
export type { ModelPrice, PriceTable } from "./prices.ts";
