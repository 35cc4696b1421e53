import { describe, expect, it } from "vitest";
import { sentencePieceTokeniser, type Vocabulary } from "../../../tfjs/sentencepiece.ts";

// A hand-made vocabulary: ids 0-2 are control symbols, the rest scored pieces.
const vocabulary: Vocabulary = [
  ["<unk>", 0],
  ["<s>", 0],
  ["</s>", 0],
  ["▁", -3],
  ["▁a", -2],
  ["b", -2],
  ["ab", -2.5],
  ["▁ab", -6],
  [":", null],
];

describe("sentencePieceTokeniser", () => {
  const tokeniser = sentencePieceTokeniser(vocabulary);

  it("takes the segmentation with the highest total score", () => {
    // ▁a + b scores -4, ▁ab -6, ▁ + ab -5.5.
    expect(tokeniser.encode("ab")).toEqual([4, 5]);
  });

  it("reads whitespace runs as one boundary and trims the ends", () => {
    expect(tokeniser.encode("  ab \n\t ab ")).toEqual([4, 5, 4, 5]);
  });

  it("turns a run of unknown characters into one unknown token", () => {
    expect(tokeniser.encode("ab xyz")).toEqual([4, 5, 3, 0]);
  });

  it("matches a piece whose score was lost rather than calling it unknown", () => {
    expect(tokeniser.encode("a:")).toEqual([4, 8]);
  });

  it("gives an empty text no tokens", () => {
    expect(tokeniser.encode(" \n ")).toEqual([]);
  });
});
