// A small DSL for writing ONNX graphs in TypeScript: every operator call returns the name of
// its output, constants become initializers, and `model()` gives bytes for an InferenceSession.
import {
  type AttributeValue,
  type Dimension,
  type ElementType,
  encodeModel,
  type GraphValue,
  type NodeValue,
  type TensorValue,
  type ValueInfo,
} from "./onnx-proto.ts";

/** The default-domain opset the graphs target (LayerNormalization-era, run by onnxruntime 1.1x+). */
export const OPSET = 17;
/** IR version 8 goes with opset 17. */
export const IR_VERSION = 8;

export class GraphBuilder {
  private readonly nodes: NodeValue[] = [];
  private readonly initializers: TensorValue[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly scalars = new Map<string, string>();
  private counter = 0;
  readonly name: string;

  constructor(name: string) {
    this.name = name;
  }

  private fresh(hint: string): string {
    return `${hint}_${this.counter++}`;
  }

  input(name: string, dims: Dimension[], type: ElementType = "float"): string {
    this.inputs.push({ name, type, dims });
    return name;
  }

  /** Declares `value` a graph output under `name` (through Identity when it has another name). */
  output(value: string, name: string, dims: Dimension[], type: ElementType = "float"): void {
    if (value !== name) this.nodes.push(this.node("Identity", [value], [name], {}));
    this.outputs.push({ name, type, dims });
  }

  /** A float tensor initializer (weights or constants). */
  tensor(data: Float32Array, dims: number[], name = this.fresh("const")): string {
    this.initializers.push({ name, type: "float", dims, data });
    return name;
  }

  /** An int64 initializer (axes, shapes, slice bounds). */
  int64(values: readonly number[], name = this.fresh("ints")): string {
    this.initializers.push({ name, type: "int64", dims: [values.length], data: values });
    return name;
  }

  /** A float scalar constant, shared between uses of the same value. */
  scalar(value: number): string {
    const key = String(value);
    const known = this.scalars.get(key);
    if (known) return known;
    const name = this.fresh("scalar");
    this.initializers.push({ name, type: "float", dims: [], data: Float32Array.of(value) });
    this.scalars.set(key, name);
    return name;
  }

  private node(
    opType: string,
    inputs: string[],
    outputs: string[],
    attributes: Record<string, AttributeValue>,
  ): NodeValue {
    return { opType, inputs, outputs, name: `${opType}_${this.counter++}`, attributes };
  }

  /** One operator with one output; returns the output's name. */
  op(
    opType: string,
    inputs: string[],
    attributes: Record<string, AttributeValue> = {},
    output?: string,
  ): string {
    const out = output ?? this.fresh(opType.toLowerCase());
    this.nodes.push(this.node(opType, inputs, [out], attributes));
    return out;
  }

  /** One operator with several outputs. */
  opMulti(
    opType: string,
    inputs: string[],
    outputCount: number,
    attributes: Record<string, AttributeValue> = {},
  ): string[] {
    const outs = Array.from({ length: outputCount }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push(this.node(opType, inputs, outs, attributes));
    return outs;
  }

  // Shorthands for the element-wise arithmetic that most of a hand-written backward pass is.
  add(a: string, b: string): string {
    return this.op("Add", [a, b]);
  }
  sub(a: string, b: string): string {
    return this.op("Sub", [a, b]);
  }
  mul(a: string, b: string): string {
    return this.op("Mul", [a, b]);
  }
  div(a: string, b: string): string {
    return this.op("Div", [a, b]);
  }

  graph(): GraphValue {
    return {
      name: this.name,
      nodes: [...this.nodes],
      initializers: [...this.initializers],
      inputs: [...this.inputs],
      outputs: [...this.outputs],
    };
  }

  /** The .onnx bytes. */
  model(docString?: string): Uint8Array {
    return encodeModel({
      graph: this.graph(),
      opset: OPSET,
      irVersion: IR_VERSION,
      producer: "fedrouter",
      ...(docString ? { docString } : {}),
    });
  }
}
