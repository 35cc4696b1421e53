// A BERT WordPiece tokenizer.json in the format Hugging Face's tokenizers library writes
// (BertNormalizer, BertPreTokenizer, WordPiece, [CLS] ... [SEP] template), for a vocabulary given
// here. No encoder's real vocabulary ships in any package this project can install, so tests and
// benches of the ONNX embedder build theirs with this.

/** BERT's special tokens, in the order of bert-base-uncased's vocabulary ([PAD] is id 0). */
export const BERT_SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] as const;

/**
 * The tokenizer.json object for BERT's special tokens followed by `pieces` (whole words, and
 * word continuations prefixed "##"), lower-casing as uncased BERT does.
 */
export function bertTokenizerJson(pieces: readonly string[]): Record<string, unknown> {
  const tokens = [...BERT_SPECIAL_TOKENS, ...pieces];
  const vocab: Record<string, number> = {};
  tokens.forEach((token, id) => {
    if (token in vocab) throw new RangeError(`"${token}" appears twice in the vocabulary`);
    vocab[token] = id;
  });
  const special = (token: string, typeId: number) => ({ SpecialToken: { id: token, type_id: typeId } });
  const sequence = (id: "A" | "B", typeId: number) => ({ Sequence: { id, type_id: typeId } });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: BERT_SPECIAL_TOKENS.map((content, id) => ({
      id,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: {
      type: "BertNormalizer",
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: "BertPreTokenizer" },
    post_processor: {
      type: "TemplateProcessing",
      single: [special("[CLS]", 0), sequence("A", 0), special("[SEP]", 0)],
      pair: [
        special("[CLS]", 0),
        sequence("A", 0),
        special("[SEP]", 0),
        sequence("B", 1),
        special("[SEP]", 1),
      ],
      special_tokens: {
        "[CLS]": { id: "[CLS]", ids: [vocab["[CLS]"]], tokens: ["[CLS]"] },
        "[SEP]": { id: "[SEP]", ids: [vocab["[SEP]"]], tokens: ["[SEP]"] },
      },
    },
    decoder: { type: "WordPiece", prefix: "##", cleanup: true },
    model: {
      type: "WordPiece",
      unk_token: "[UNK]",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab,
    },
  };
}
