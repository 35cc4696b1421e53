// The synthetic encoder's forward pass and pooling in plain TypeScript, one unpadded row at a
// time, written from the layer's definition rather than from the graph: what the ONNX embedder
// must reproduce.
import type { SyntheticEncoderWeights } from "../../core/onnx/synthetic-encoder.ts";

/** Token states [tokens][hidden] for one row of ids, all tokens kept, token type 0. */
export function referenceStates(
  weights: SyntheticEncoderWeights,
  ids: readonly number[],
  options: { tokenTypes?: boolean } = {},
): number[][] {
  const h = weights.shape.hidden;
  let states = ids.map((id, t) =>
    Array.from(
      { length: h },
      (_, k) =>
        weights.words[id * h + k]! +
        weights.positions[t * h + k]! +
        ((options.tokenTypes ?? true) ? weights.types[k]! : 0),
    ),
  );
  for (const layer of weights.layers) {
    const activated = states.map((row) =>
      Array.from({ length: h }, (_, j) => {
        let sum = layer.bias[j]!;
        for (let k = 0; k < h; k++) sum += row[k]! * layer.weight[k * h + j]!;
        return Math.tanh(sum);
      }),
    );
    states = activated.map((query) => {
      const scores = activated.map((key) => query.reduce((s, q, k) => s + q * key[k]!, 0) / Math.sqrt(h));
      const top = Math.max(...scores);
      const exps = scores.map((s) => Math.exp(s - top));
      const total = exps.reduce((a, b) => a + b, 0);
      return query.map(
        (q, k) => q + activated.reduce((s, value, u) => s + (exps[u]! / total) * value[k]!, 0),
      );
    });
  }
  return states;
}

/** The unit-length mean of a row's token states. */
export function referenceSentence(states: number[][]): number[] {
  const mean = states[0]!.map((_, k) => states.reduce((s, row) => s + row[k]!, 0) / states.length);
  return unit(mean);
}

export function unit(vector: number[]): number[] {
  const norm = Math.sqrt(vector.reduce((s, v) => s + v * v, 0));
  return vector.map((v) => v / norm);
}
