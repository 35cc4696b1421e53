// The MLP router's parameters: named tensors in PyTorch's [out, in] layout, laid end to end in
// one Float32Array so that optimizers, federated sums and the ONNX step see a single flat vector.
import type { Random } from "../random.ts";

export interface MlpShape {
  /** Feature (embedding) dimension d. */
  dimension: number;
  /** Hidden width H of both trunk layers. */
  hidden: number;
  /** Number of LLMs M; each has a quality head and a cost head. */
  modelCount: number;
}

/** Parameter tensors in layout order. The heads are two Linear(H, M) (quality, cost), not one Linear(H, 2M). */
export const PARAMETER_NAMES = [
  "layer1.weight",
  "layer1.bias",
  "norm1.weight",
  "norm1.bias",
  "layer2.weight",
  "layer2.bias",
  "norm2.weight",
  "norm2.bias",
  "quality.weight",
  "quality.bias",
  "cost.weight",
  "cost.bias",
] as const;

export type ParameterName = (typeof PARAMETER_NAMES)[number];

export interface ParameterSlot {
  name: ParameterName;
  shape: number[];
  offset: number;
  length: number;
  /** Trunk tensors are shared by all models; head tensors hold one row (or entry) per model. */
  part: "trunk" | "head";
}

export interface ParameterLayout {
  shape: MlpShape;
  slots: ParameterSlot[];
  /** Total number of parameters P. */
  size: number;
}

const SHAPES: Record<ParameterName, (s: MlpShape) => number[]> = {
  "layer1.weight": (s) => [s.hidden, s.dimension],
  "layer1.bias": (s) => [s.hidden],
  "norm1.weight": (s) => [s.hidden],
  "norm1.bias": (s) => [s.hidden],
  "layer2.weight": (s) => [s.hidden, s.hidden],
  "layer2.bias": (s) => [s.hidden],
  "norm2.weight": (s) => [s.hidden],
  "norm2.bias": (s) => [s.hidden],
  "quality.weight": (s) => [s.modelCount, s.hidden],
  "quality.bias": (s) => [s.modelCount],
  "cost.weight": (s) => [s.modelCount, s.hidden],
  "cost.bias": (s) => [s.modelCount],
};

export function parameterLayout(shape: MlpShape): ParameterLayout {
  for (const [key, value] of Object.entries(shape)) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${key} must be a positive integer`);
  }
  let offset = 0;
  const slots = PARAMETER_NAMES.map((name): ParameterSlot => {
    const dims = SHAPES[name](shape);
    const length = dims.reduce((a, b) => a * b, 1);
    const slot: ParameterSlot = {
      name,
      shape: dims,
      offset,
      length,
      part: name.startsWith("quality.") || name.startsWith("cost.") ? "head" : "trunk",
    };
    offset += length;
    return slot;
  });
  return { shape, slots, size: offset };
}

export function slotOf(layout: ParameterLayout, name: ParameterName): ParameterSlot {
  const slot = layout.slots.find((s) => s.name === name);
  if (!slot) throw new RangeError(`no parameter ${name}`);
  return slot;
}

/** A view of one named tensor inside the flat vector (no copy). */
export function tensorView<T extends Float32Array | Float64Array>(
  layout: ParameterLayout,
  flat: T,
  name: ParameterName,
): T {
  const slot = slotOf(layout, name);
  return flat.subarray(slot.offset, slot.offset + slot.length) as T;
}

/**
 * The flat ranges that belong to model m's heads: its row of each head weight and its entry of
 * each head bias. Per-head federated weighting and frozen-trunk fine-tuning address these.
 */
export function headRanges(layout: ParameterLayout, model: number): { start: number; end: number }[] {
  const { hidden, modelCount } = layout.shape;
  if (!(model >= 0 && model < modelCount)) throw new RangeError(`model ${model} out of range`);
  return layout.slots
    .filter((s) => s.part === "head")
    .map((s) => {
      const width = s.shape.length === 2 ? hidden : 1;
      return { start: s.offset + model * width, end: s.offset + (model + 1) * width };
    });
}

/** Splits a flat vector into named tensors (copies), e.g. for a model file. */
export function unflatten(layout: ParameterLayout, flat: Float32Array): Record<ParameterName, Float32Array> {
  if (flat.length !== layout.size)
    throw new RangeError(`${flat.length} parameters, layout has ${layout.size}`);
  const out = {} as Record<ParameterName, Float32Array>;
  for (const s of layout.slots) out[s.name] = flat.slice(s.offset, s.offset + s.length);
  return out;
}

/** Joins named tensors into the flat vector, checking every tensor's length. */
export function flatten(
  layout: ParameterLayout,
  tensors: Partial<Record<string, ArrayLike<number>>>,
): Float32Array {
  const flat = new Float32Array(layout.size);
  for (const s of layout.slots) {
    const tensor = tensors[s.name];
    if (!tensor) throw new RangeError(`missing parameter tensor ${s.name}`);
    if (tensor.length !== s.length) {
      throw new RangeError(
        `parameter ${s.name} has ${tensor.length} values, expected ${s.length} (${s.shape.join("x")})`,
      );
    }
    flat.set(tensor, s.offset);
  }
  return flat;
}

/**
 * PyTorch's default initialisation: Linear weight and bias uniform in +-1/sqrt(fan_in) (Kaiming
 * uniform with a = sqrt(5) reduces to that bound), LayerNorm weight ones and bias zeros.
 */
export function initialParameters(layout: ParameterLayout, random: Random): Float32Array {
  const flat = new Float32Array(layout.size);
  const { dimension, hidden } = layout.shape;
  for (const s of layout.slots) {
    const view = flat.subarray(s.offset, s.offset + s.length);
    if (s.name.startsWith("norm")) {
      view.fill(s.name.endsWith(".weight") ? 1 : 0);
      continue;
    }
    const fanIn = s.name.startsWith("layer1.") ? dimension : hidden;
    const bound = 1 / Math.sqrt(fanIn);
    for (let i = 0; i < view.length; i++) view[i] = (2 * random() - 1) * bound;
  }
  return flat;
}
