// An embedder's id names everything that changes its vectors: the model, a hash of its weights and
// how long texts are cut into windows and combined. Two clients whose ids match embed alike; a
// router trained under one id refuses vectors from another.

/** How a text longer than the encoder's input is embedded. */
export interface Windowing {
  /** Tokens per window. */
  tokens: number;
  /** How the windows' vectors are combined. */
  combine: "mean" | "last" | "last-weighted";
}

export interface EmbedderIdParts {
  /** The encoder, e.g. "use-lite" or "onnx:all-MiniLM-L6-v2". */
  model: string;
  /** Hex SHA-256 prefix of the weights (12 characters). */
  weights: string;
  windowing: Windowing;
}

const COMBINES = ["mean", "last", "last-weighted"] as const;
const ID = /^([a-z][a-z0-9-]*(?::[A-Za-z0-9._-]+)?)@([0-9a-f]{12})\/w(\d+)-(mean|last|last-weighted)$/;

/** `<model>@<weights>/w<tokens>-<combine>`, e.g. `use-lite@0123456789ab/w128-mean`. */
export function embedderId(parts: EmbedderIdParts): string {
  const id = `${parts.model}@${parts.weights}/w${parts.windowing.tokens}-${parts.windowing.combine}`;
  if (!parseEmbedderId(id)) throw new RangeError(`not a valid embedder id: ${id}`);
  return id;
}

/** The parts of an id made by embedderId, or null for any other id (hashing, user functions). */
export function parseEmbedderId(id: string): EmbedderIdParts | null {
  const match = ID.exec(id);
  if (!match) return null;
  const tokens = Number(match[3]);
  const combine = match[4] as (typeof COMBINES)[number];
  if (!Number.isInteger(tokens) || tokens < 1 || !COMBINES.includes(combine)) return null;
  return { model: match[1] as string, weights: match[2] as string, windowing: { tokens, combine } };
}
