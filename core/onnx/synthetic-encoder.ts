// A small BERT-shaped sentence encoder as an ONNX graph, from weights given or drawn from a seed:
// the inputs, embeddings and output that real exported encoders (MiniLM, bge, e5) have, with a
// few cheap layers. Tests check the ONNX embedder against a plain reference on it, and benches
// measure the embedding pipeline with it, where no real encoder's weights are available.
import { normal, type Random } from "../random.ts";
import { GraphBuilder } from "./graph-builder.ts";

export interface SyntheticEncoderShape {
  vocabulary: number;
  hidden: number;
  /** Rows of the position table: the longest sequence the encoder takes. */
  positions: number;
  /** Token types (segments) in the type table. */
  types: number;
  layers: number;
}

/** One layer: a dense layer with tanh, then single-head self-attention over unmasked tokens added back. */
export interface SyntheticEncoderLayer {
  /** [hidden, hidden], row-major, applied as states x weight. */
  weight: Float32Array;
  bias: Float32Array;
}

export interface SyntheticEncoderWeights {
  shape: SyntheticEncoderShape;
  /** [vocabulary, hidden]. */
  words: Float32Array;
  /** [positions, hidden]. */
  positions: Float32Array;
  /** [types, hidden]. */
  types: Float32Array;
  layers: SyntheticEncoderLayer[];
}

/** The graph's input and output names, as Hugging Face's BERT exports name them. */
export const ENCODER_INPUTS = {
  ids: "input_ids",
  mask: "attention_mask",
  types: "token_type_ids",
} as const;
export const ENCODER_OUTPUT = "last_hidden_state";

/** The additive attention bias of a masked token, as BERT exports use. */
export const MASKED_BIAS = -10000;

/** Weights drawn from N(0, scale^2), scaled so tanh stays away from saturation. */
export function syntheticEncoderWeights(
  shape: SyntheticEncoderShape,
  random: Random,
): SyntheticEncoderWeights {
  const draw = (length: number, scale: number) => Float32Array.from({ length }, () => normal(random) * scale);
  const h = shape.hidden;
  return {
    shape,
    words: draw(shape.vocabulary * h, 0.5),
    positions: draw(shape.positions * h, 0.1),
    types: draw(shape.types * h, 0.1),
    layers: Array.from({ length: shape.layers }, () => ({
      weight: draw(h * h, 1 / Math.sqrt(h)),
      bias: draw(h, 0.1),
    })),
  };
}

/**
 * The encoder's .onnx bytes: `input_ids` and `attention_mask` [batch, sequence] (and
 * `token_type_ids` unless `tokenTypes` is false, as in DistilBERT-style exports), int64 unless
 * `indices` says int32 (as some graphs converted from TensorFlow have), and float
 * `last_hidden_state` [batch, sequence, hidden].
 */
export function syntheticEncoderModel(
  weights: SyntheticEncoderWeights,
  options: { tokenTypes?: boolean; indices?: "int64" | "int32" } = {},
): Uint8Array {
  const { shape } = weights;
  const h = shape.hidden;
  const g = new GraphBuilder("synthetic_bert_encoder");
  const indices = options.indices ?? "int64";
  const ids = g.input(ENCODER_INPUTS.ids, ["batch", "sequence"], indices);
  const mask = g.input(ENCODER_INPUTS.mask, ["batch", "sequence"], indices);
  let states = g.op("Gather", [g.tensor(weights.words, [shape.vocabulary, h], "word_embeddings"), ids]);
  if (options.tokenTypes ?? true) {
    const types = g.input(ENCODER_INPUTS.types, ["batch", "sequence"], indices);
    states = g.add(
      states,
      g.op("Gather", [g.tensor(weights.types, [shape.types, h], "type_embeddings"), types]),
    );
  }
  // Positions 0..sequence-1: the first rows of the table, sliced to the input's length.
  const length = g.op("Slice", [g.op("Shape", [ids]), g.int64([1]), g.int64([2])]);
  const table = g.tensor(weights.positions, [shape.positions, h], "position_embeddings");
  states = g.add(states, g.op("Slice", [table, g.int64([0]), length, g.int64([0])]));
  // [batch, 1, sequence]: 0 where a token is kept, MASKED_BIAS where it is padding.
  const kept = g.op("Unsqueeze", [g.op("Cast", [mask], { to: 1 }), g.int64([1])]);
  const bias = g.mul(g.sub(g.scalar(1), kept), g.scalar(MASKED_BIAS));
  weights.layers.forEach((layer, i) => {
    const dense = g.add(
      g.op("MatMul", [states, g.tensor(layer.weight, [h, h], `layer${i}_weight`)]),
      g.tensor(layer.bias, [h], `layer${i}_bias`),
    );
    const activated = g.op("Tanh", [dense]);
    const scores = g.mul(
      g.op("MatMul", [activated, g.op("Transpose", [activated], { perm: [0, 2, 1] })]),
      g.scalar(1 / Math.sqrt(h)),
    );
    const attention = g.op("Softmax", [g.add(scores, bias)], { axis: -1 });
    states = g.add(activated, g.op("MatMul", [attention, activated]));
  });
  g.output(states, ENCODER_OUTPUT, ["batch", "sequence", h]);
  return g.model();
}
