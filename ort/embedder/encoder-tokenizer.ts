// A Hugging Face tokenizer.json turned into what the ONNX embedder feeds its encoder: a text's
// tokens cut into windows, each wrapped in the special tokens the tokenizer's template adds
// ([CLS] ... [SEP] for BERT, <s> ... </s> for RoBERTa-style models).
import { Tokenizer } from "@huggingface/tokenizers";
import { tokenWindows } from "../../core/embedder/windows.ts";

export interface EncoderTokenizer {
  /** Special token ids before a window's tokens, and after them. */
  prefix: readonly number[];
  suffix: readonly number[];
  /** The id that fills a short row of a batch (masked out, so any valid id would do). */
  padId: number;
  /** The text's token ids in windows of at most `tokens` ids, special tokens included. */
  windows(text: string, tokens: number): number[][];
}

const PAD_TOKENS = ["[PAD]", "<pad>", "<|padding|>"];

export function encoderTokenizer(
  json: Record<string, unknown>,
  config: Record<string, unknown> = {},
): EncoderTokenizer {
  const tokenizer = new Tokenizer(json, config);
  // The template's special tokens, read off one encoding with and without them: a text's tokens
  // sit at the same offset in both, whatever the template is.
  const probe = "a";
  const full = tokenizer.encode(probe).ids;
  const plain = tokenizer.encode(probe, { add_special_tokens: false }).ids;
  const offset = findRun(full, plain);
  if (offset < 0) throw new Error("the tokenizer's template changes a text's own tokens; cannot window it");
  const prefix = full.slice(0, offset);
  const suffix = full.slice(offset + plain.length);
  const padding = json.padding as { pad_id?: unknown } | null | undefined;
  const padId =
    typeof padding?.pad_id === "number"
      ? padding.pad_id
      : (PAD_TOKENS.map((t) => tokenizer.token_to_id(t)).find((id) => id !== undefined) ?? 0);
  const specials = prefix.length + suffix.length;
  return {
    prefix,
    suffix,
    padId,
    windows(text, tokens) {
      const size = tokens - specials;
      if (size < 1)
        throw new RangeError(`windows of ${tokens} tokens leave no room beside ${specials} special tokens`);
      const ids = tokenizer.encode(text, { add_special_tokens: false }).ids;
      return tokenWindows(ids, size).map((window) => [...prefix, ...window, ...suffix]);
    },
  };
}

/** Where `run` starts inside `ids`, or -1. */
function findRun(ids: readonly number[], run: readonly number[]): number {
  for (let start = 0; start + run.length <= ids.length; start++) {
    if (run.every((id, k) => ids[start + k] === id)) return start;
  }
  return -1;
}
