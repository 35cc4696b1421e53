// What turns a query into a feature vector. Every router model records the embedder's id and
// dimension, so a router never scores vectors from another embedder.

export interface Embedder {
  /** Stable id: routers trained with one embedder refuse vectors from another. */
  readonly id: string;
  readonly dimension: number;
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

export class EmbedderMismatchError extends Error {
  override name = "EmbedderMismatchError";
}

/** Checks that a vector fits an embedder's dimension and is finite. */
export function checkVector(vector: Float32Array, dimension: number, what = "vector"): void {
  if (vector.length !== dimension) {
    throw new EmbedderMismatchError(
      `${what} has ${vector.length} dimensions, the router expects ${dimension}`,
    );
  }
  for (let i = 0; i < vector.length; i++) {
    if (!Number.isFinite(vector[i])) throw new RangeError(`${what} has a non-finite value at ${i}`);
  }
}

/**
 * Wraps a user-supplied embedding function (an embeddings API, a local model) as an Embedder,
 * checking every vector it returns.
 */
export function functionEmbedder(
  id: string,
  dimension: number,
  embed: (texts: readonly string[]) => Promise<ArrayLike<number>[]>,
): Embedder {
  return {
    id,
    dimension,
    async embed(texts) {
      const raw = await embed(texts);
      if (raw.length !== texts.length) {
        throw new RangeError(`embedding function returned ${raw.length} vectors for ${texts.length} texts`);
      }
      return raw.map((v, i) => {
        const vector = Float32Array.from(v);
        checkVector(vector, dimension, `embedding ${i} from ${id}`);
        return vector;
      });
    },
  };
}

/** Serves vectors computed elsewhere, looked up by the exact query text. */
export function precomputedEmbedder(
  id: string,
  dimension: number,
  vectors: ReadonlyMap<string, Float32Array>,
): Embedder {
  for (const [text, vector] of vectors)
    checkVector(vector, dimension, `precomputed vector for "${text.slice(0, 40)}"`);
  return {
    id,
    dimension,
    async embed(texts) {
      return texts.map((text) => {
        const vector = vectors.get(text);
        if (!vector) throw new RangeError(`no precomputed vector for query "${text.slice(0, 60)}"`);
        return vector;
      });
    },
  };
}
