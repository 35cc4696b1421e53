// The query a call is routed and recorded by: the text the user asked last. System prompts and
// earlier turns are the app's, the same on every call, so they would only blur the router's view.
import type { LanguageModelV4Prompt } from "@ai-sdk/provider";
import { FedRouterError } from "../errors.ts";

/** The text parts of the last user message, joined by new lines. */
export function lastUserText(prompt: LanguageModelV4Prompt): string {
  for (let i = prompt.length - 1; i >= 0; i--) {
    const message = prompt[i]!;
    if (message.role !== "user") continue;
    const text = message.content
      .flatMap((part) => (part.type === "text" ? [part.text] : []))
      .join("\n")
      .trim();
    if (text.length > 0) return text;
    break;
  }
  throw new FedRouterError(
    "bad_argument",
    "fedrouterModel(): the prompt has no user text to route (pass the query option to choose another text)",
  );
}
