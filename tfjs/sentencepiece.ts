// A SentencePiece unigram tokeniser over a vocabulary of [piece, log-probability] pairs, as the
// Universal Sentence Encoder ships it: the segmentation with the highest total score (Viterbi).

/**
 * The vocabulary as shipped: index = token id, score = log-probability. The USE package's copy
 * lost the scores of pieces holding ":" (null, 0, or 30 for ":30"), a YAML-like conversion
 * artefact, so a score that is not a negative number is read as missing.
 */
export type Vocabulary = ReadonlyArray<readonly [piece: string, score: number | null]>;

/** SentencePiece marks a word boundary with this symbol in place of a space. */
const BOUNDARY = "\u2581";
/** SentencePiece's penalty for an unknown character below the lowest piece score. */
const UNKNOWN_PENALTY = 10;

export interface SentencePieceTokeniser {
  /** Token ids of one text. */
  encode(text: string): number[];
}

/** Control symbols, never matched in text. */
const CONTROL = /^(<s>|<\/s>|<unk>|<pad>|extra_token_id_\d+)$/;

/**
 * Builds a tokeniser. Control symbols and `unknownId` are never matched in text; a character no
 * piece covers becomes `unknownId`, and a run of them one token, as SentencePiece does. A piece
 * whose score is missing gets the lowest score of the vocabulary, so that it is chosen only where
 * no scored segmentation covers the text as well (a guess: the true scores are lost, and taking
 * them as 0 or 30 would let those pieces win over every other).
 */
export function sentencePieceTokeniser(vocabulary: Vocabulary, unknownId = 0): SentencePieceTokeniser {
  const pieces = new Map<string, { id: number; score: number }>();
  let longest = 1;
  let lowest = 0;
  const missing: number[] = [];
  vocabulary.forEach(([piece, score], id) => {
    if (id === unknownId || CONTROL.test(piece) || piece.length === 0) return;
    longest = Math.max(longest, [...piece].length);
    if (typeof score === "number" && Number.isFinite(score) && score < 0) {
      pieces.set(piece, { id, score });
      lowest = Math.min(lowest, score);
    } else missing.push(id);
  });
  for (const id of missing)
    pieces.set((vocabulary[id] as readonly [string, unknown])[0], { id, score: lowest });
  const unknownScore = lowest - UNKNOWN_PENALTY;

  return {
    encode(text) {
      const symbols = [...normalise(text)];
      const n = symbols.length;
      // best[e]: highest score of a segmentation of symbols[0, e); from[e]: where its last token starts.
      const best = new Float64Array(n + 1).fill(Number.NEGATIVE_INFINITY);
      const from = new Int32Array(n + 1);
      const token = new Int32Array(n + 1);
      best[0] = 0;
      for (let start = 0; start < n; start++) {
        const base = best[start] as number;
        if (base === Number.NEGATIVE_INFINITY) continue;
        let candidate = "";
        let coveredOne = false;
        for (let length = 1; length <= longest && start + length <= n; length++) {
          candidate += symbols[start + length - 1];
          const piece = pieces.get(candidate);
          if (!piece) continue;
          if (length === 1) coveredOne = true;
          const score = base + piece.score;
          if (score > (best[start + length] as number)) {
            best[start + length] = score;
            from[start + length] = start;
            token[start + length] = piece.id;
          }
        }
        if (!coveredOne && base + unknownScore > (best[start + 1] as number)) {
          best[start + 1] = base + unknownScore;
          from[start + 1] = start;
          token[start + 1] = unknownId;
        }
      }
      const ids: number[] = [];
      for (let end = n; end > 0; end = from[end] as number) ids.push(token[end] as number);
      ids.reverse();
      return ids.filter((id, i) => !(id === unknownId && ids[i - 1] === unknownId));
    },
  };
}

/** NFKC, whitespace runs as one boundary mark, and a boundary mark before the first word. */
function normalise(text: string): string {
  const words = text.normalize("NFKC").trim().split(/\s+/u).filter(Boolean);
  return words.length ? BOUNDARY + words.join(BOUNDARY) : "";
}
