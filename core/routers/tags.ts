// Context tags as router input: a federation declares a tag vocabulary, and a router's input row is
// the query's embedding followed by one 0/1 indicator per vocabulary tag. The edge, the SDK, the
// harness and every kind split and build rows here, so that all agree on the layout.
import type { EvaluationSet } from "../data/evaluations.ts";

/** Most tags a federation may declare: each one widens every input row by one column. */
export const MAX_TAGS = 256;
/** Longest tag, in UTF-16 code units. */
export const MAX_TAG_LENGTH = 64;

/** A refusal (for people) of a vocabulary the edge would not store, or undefined when it is fine. */
export function vocabularyRefusal(vocabulary: readonly string[]): string | undefined {
  if (vocabulary.length > MAX_TAGS)
    return `a federation declares at most ${MAX_TAGS} tags, not ${vocabulary.length}`;
  const seen = new Set<string>();
  for (const tag of vocabulary) {
    if (tag.length === 0 || tag.length > MAX_TAG_LENGTH)
      return `each tag has 1 to ${MAX_TAG_LENGTH} characters; "${tag.slice(0, 80)}" has ${tag.length}`;
    // Control characters make tags that look alike in logs and dashboards but differ.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the check is for control characters
    if (/[\u0000-\u001f\u007f]/.test(tag)) return `tag "${tag}" contains a control character`;
    if (seen.has(tag)) return `tag "${tag}" is declared twice`;
    seen.add(tag);
  }
  return undefined;
}

/** The width of a router's input row: the embedding, then one indicator per vocabulary tag. */
export function rowWidth(dimension: number, vocabulary: readonly string[] = []): number {
  return dimension + vocabulary.length;
}

/**
 * One 0/1 indicator per vocabulary tag, 1 where `tags` carries it. Tags outside the vocabulary
 * are ignored: an app may send tags a federation does not (yet) learn from.
 */
export function tagIndicators(
  tags: readonly string[] | undefined,
  vocabulary: readonly string[],
  output: Float32Array = new Float32Array(vocabulary.length),
): Float32Array {
  if (output.length !== vocabulary.length)
    throw new RangeError(`${output.length} indicator slots for ${vocabulary.length} tags`);
  output.fill(0);
  if (!tags || tags.length === 0 || vocabulary.length === 0) return output;
  const carried = new Set(tags);
  for (let t = 0; t < vocabulary.length; t++) if (carried.has(vocabulary[t]!)) output[t] = 1;
  return output;
}

/** A router's input row: `embedding` followed by the indicators of `tags` in `vocabulary`. */
export function routerRow(
  embedding: Float32Array,
  tags: readonly string[] | undefined,
  vocabulary: readonly string[],
): Float32Array {
  const row = new Float32Array(embedding.length + vocabulary.length);
  row.set(embedding);
  tagIndicators(tags, vocabulary, row.subarray(embedding.length));
  return row;
}

/**
 * Refuses a row of another width than `dimension` plus the vocabulary's indicators: a row from
 * another embedder, or built with another vocabulary, would be read as something it is not.
 */
export function checkRowWidth(
  row: Float32Array,
  dimension: number,
  vocabulary: readonly string[] = [],
): void {
  const width = rowWidth(dimension, vocabulary);
  if (row.length !== width)
    throw new RangeError(
      `a row of ${row.length} values, the router reads ${width} (a ${dimension}-d embedding and ${vocabulary.length} tag indicators)`,
    );
}

/** The embedding part of one row (a view, no copy). */
export function embeddingPart(row: Float32Array, dimension: number): Float32Array {
  if (row.length < dimension)
    throw new RangeError(`a row of ${row.length} values has no ${dimension}-d embedding`);
  return row.subarray(0, dimension);
}

/** The indicator part of one row (a view, no copy): everything after the embedding. */
export function tagPart(row: Float32Array, dimension: number): Float32Array {
  if (row.length < dimension)
    throw new RangeError(`a row of ${row.length} values has no ${dimension}-d embedding`);
  return row.subarray(dimension);
}

/** Checks that a row-major batch holds whole rows of `width`; returns the row count. */
function rowCount(features: Float32Array, width: number): number {
  const n = width > 0 ? features.length / width : 0;
  if (!Number.isInteger(n) || (width === 0 && features.length > 0))
    throw new RangeError(`features hold ${features.length} values, not rows of ${width}`);
  return n;
}

/** Columns [from, to) of a row-major batch of rows of `width`, as a new batch. */
function columns(features: Float32Array, width: number, from: number, to: number): Float32Array {
  const n = rowCount(features, width);
  const kept = to - from;
  if (from === 0 && kept === width) return features;
  const out = new Float32Array(n * kept);
  for (let q = 0; q < n; q++) out.set(features.subarray(q * width + from, q * width + to), q * kept);
  return out;
}

/** The embeddings of a row-major batch of rows of `width` (the batch itself when it has no tags). */
export function embeddingColumns(features: Float32Array, width: number, dimension: number): Float32Array {
  if (dimension > width) throw new RangeError(`rows of ${width} values have no ${dimension}-d embedding`);
  return columns(features, width, 0, dimension);
}

/** The indicators of a row-major batch of rows of `width`, row-major [query][tag]. */
export function tagColumns(features: Float32Array, width: number, dimension: number): Float32Array {
  if (dimension > width) throw new RangeError(`rows of ${width} values have no ${dimension}-d embedding`);
  return columns(features, width, dimension, width);
}

/**
 * An evaluation set of embeddings with each query's tag indicators appended: `tags[q]` are query
 * q's tags (unknown ones ignored). The set's dimension becomes the row width.
 */
export function withTagIndicators(
  set: EvaluationSet,
  tags: readonly (readonly string[] | undefined)[],
  vocabulary: readonly string[],
): EvaluationSet {
  if (tags.length !== set.n) throw new RangeError(`${tags.length} tag lists for ${set.n} queries`);
  if (vocabulary.length === 0) return set;
  const width = set.dimension + vocabulary.length;
  const features = new Float32Array(set.n * width);
  for (let q = 0; q < set.n; q++) {
    features.set(set.features.subarray(q * set.dimension, (q + 1) * set.dimension), q * width);
    tagIndicators(tags[q], vocabulary, features.subarray(q * width + set.dimension, (q + 1) * width));
  }
  return { ...set, dimension: width, features };
}

/** The same evaluations with only the embedding part of each row (for kinds that cluster on it). */
export function embeddingSet(set: EvaluationSet, dimension: number): EvaluationSet {
  if (set.dimension === dimension) return set;
  return { ...set, dimension, features: embeddingColumns(set.features, set.dimension, dimension) };
}
