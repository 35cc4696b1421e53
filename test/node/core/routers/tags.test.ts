// Rows of embedding and tag indicators: built from tags and a vocabulary, and split again.
import { describe, expect, it } from "vitest";
import { emptyEvaluationSet } from "../../../../core/data/evaluations.ts";
import {
  checkRowWidth,
  embeddingColumns,
  embeddingPart,
  embeddingSet,
  MAX_TAG_LENGTH,
  MAX_TAGS,
  routerRow,
  rowWidth,
  tagColumns,
  tagIndicators,
  tagPart,
  vocabularyRefusal,
  withTagIndicators,
} from "../../../../core/routers/tags.ts";

const vocabulary = ["billing", "code", "support"];

describe("tag indicators", () => {
  it("marks the vocabulary tags a query carries and ignores unknown ones", () => {
    expect([...tagIndicators(["support", "unknown", "billing"], vocabulary)]).toEqual([1, 0, 1]);
    expect([...tagIndicators(undefined, vocabulary)]).toEqual([0, 0, 0]);
    expect([...tagIndicators(["code", "code"], vocabulary)]).toEqual([0, 1, 0]);
  });

  it("refuses an output buffer of another width", () => {
    expect(() => tagIndicators(["code"], vocabulary, new Float32Array(2))).toThrow(/2 indicator slots/);
  });

  it("appends the indicators to the embedding and splits the row back", () => {
    const row = routerRow(Float32Array.of(0.5, -0.5), ["code"], vocabulary);
    expect(row.length).toBe(rowWidth(2, vocabulary));
    expect([...row]).toEqual([0.5, -0.5, 0, 1, 0]);
    expect([...embeddingPart(row, 2)]).toEqual([0.5, -0.5]);
    expect([...tagPart(row, 2)]).toEqual([0, 1, 0]);
    expect(() => embeddingPart(row, 6)).toThrow(/no 6-d embedding/);
    expect(() => checkRowWidth(row, 2, vocabulary)).not.toThrow();
    expect(() => checkRowWidth(row, 2, ["code"])).toThrow(/5 values, the router reads 3/);
    expect(() => checkRowWidth(row.subarray(0, 2), 2, vocabulary)).toThrow(/3 tag indicators/);
  });

  it("splits a batch of rows into embeddings and indicators", () => {
    const batch = Float32Array.of(1, 2, 1, 0, 3, 4, 0, 1);
    expect([...embeddingColumns(batch, 4, 2)]).toEqual([1, 2, 3, 4]);
    expect([...tagColumns(batch, 4, 2)]).toEqual([1, 0, 0, 1]);
    // Without tags the batch is already the embeddings.
    expect(embeddingColumns(batch, 4, 4)).toBe(batch);
    expect(() => embeddingColumns(batch, 3, 2)).toThrow(/not rows of 3/);
  });
});

describe("evaluation sets with tags", () => {
  it("appends each query's indicators to its features and strips them again", () => {
    const set = emptyEvaluationSet(2, 2, 1);
    set.features.set([1, 2, 3, 4]);
    const tagged = withTagIndicators(set, [["support"], ["nope"]], vocabulary);
    expect(tagged.dimension).toBe(5);
    expect([...tagged.features]).toEqual([1, 2, 0, 0, 1, 3, 4, 0, 0, 0]);
    expect(tagged.observed).toBe(set.observed);
    const plain = embeddingSet(tagged, 2);
    expect(plain.dimension).toBe(2);
    expect([...plain.features]).toEqual([1, 2, 3, 4]);
  });

  it("refuses tag lists that do not match the queries", () => {
    expect(() => withTagIndicators(emptyEvaluationSet(2, 2, 1), [["code"]], vocabulary)).toThrow(
      /1 tag lists for 2 queries/,
    );
  });
});

describe("a tag vocabulary", () => {
  it("accepts unique, short, printable tags", () => {
    expect(vocabularyRefusal(vocabulary)).toBeUndefined();
    expect(vocabularyRefusal([])).toBeUndefined();
  });

  it("refuses duplicates, empty or long tags, control characters and too many tags", () => {
    expect(vocabularyRefusal(["a", "a"])).toMatch(/declared twice/);
    expect(vocabularyRefusal([""])).toMatch(/1 to 64 characters/);
    expect(vocabularyRefusal(["x".repeat(MAX_TAG_LENGTH + 1)])).toMatch(/has 65/);
    expect(vocabularyRefusal(["a\nb"])).toMatch(/control character/);
    expect(vocabularyRefusal(Array.from({ length: MAX_TAGS + 1 }, (_, i) => `t${i}`))).toMatch(/at most/);
  });
});
