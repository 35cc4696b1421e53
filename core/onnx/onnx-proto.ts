// ONNX's protobuf messages (ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto,
// AttributeProto, OperatorSetIdProto) as plain objects, and their encoding with onnx.proto's
// field numbers.
import { ProtoWriter } from "./protobuf.ts";

/** TensorProto.DataType values used here. */
export const DataType = { float: 1, int32: 6, int64: 7 } as const;
export type ElementType = keyof typeof DataType;

export interface TensorValue {
  name: string;
  type: ElementType;
  dims: number[];
  /** float32 values, or integers for int32/int64 tensors. */
  data: Float32Array | readonly number[];
}

export type AttributeValue =
  | number
  | number[]
  | string
  | { float: number }
  | { floats: number[] }
  | TensorValue;

export interface NodeValue {
  opType: string;
  inputs: string[];
  outputs: string[];
  name: string;
  attributes: Record<string, AttributeValue>;
  domain?: string;
}

/** A dimension is a fixed size or a symbolic name (dim_param) such as "batch". */
export type Dimension = number | string;

export interface ValueInfo {
  name: string;
  type: ElementType;
  dims: Dimension[];
}

export interface GraphValue {
  name: string;
  nodes: NodeValue[];
  initializers: TensorValue[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

export interface ModelValue {
  graph: GraphValue;
  /** ONNX opset of the default domain. */
  opset: number;
  irVersion: number;
  producer: string;
  docString?: string;
}

function writeTensor(w: ProtoWriter, tensor: TensorValue): void {
  w.packedInts(1, tensor.dims);
  w.int(2, DataType[tensor.type]);
  w.string(8, tensor.name);
  if (tensor.type === "float") {
    const data = tensor.data instanceof Float32Array ? tensor.data : Float32Array.from(tensor.data);
    // raw_data: little-endian bytes, the compact form every runtime reads.
    w.bytesField(9, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  } else if (tensor.type === "int64") {
    w.packedInts(7, [...tensor.data]);
  } else {
    w.packedInts(5, [...tensor.data]);
  }
}

function writeAttribute(w: ProtoWriter, name: string, value: AttributeValue): void {
  w.string(1, name);
  if (typeof value === "number") {
    w.int(3, value).int(20, 2);
  } else if (typeof value === "string") {
    w.string(4, value).int(20, 3);
  } else if (Array.isArray(value)) {
    w.packedInts(8, value).int(20, 7);
  } else if ("float" in value) {
    w.float(2, value.float).int(20, 1);
  } else if ("floats" in value) {
    w.packedFloats(7, value.floats).int(20, 6);
  } else {
    w.message(5, (t) => writeTensor(t, value)).int(20, 4);
  }
}

function writeNode(w: ProtoWriter, node: NodeValue): void {
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, node.name);
  w.string(4, node.opType);
  for (const [name, value] of Object.entries(node.attributes))
    w.message(5, (a) => writeAttribute(a, name, value));
  if (node.domain) w.string(7, node.domain);
}

function writeValueInfo(w: ProtoWriter, info: ValueInfo): void {
  w.string(1, info.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, DataType[info.type]);
      tensor.message(2, (shape) => {
        for (const dim of info.dims) {
          shape.message(1, (d) => (typeof dim === "number" ? d.int(1, dim) : d.string(2, dim)));
        }
      });
    }),
  );
}

function writeGraph(w: ProtoWriter, graph: GraphValue): void {
  for (const node of graph.nodes) w.message(1, (n) => writeNode(n, node));
  w.string(2, graph.name);
  for (const tensor of graph.initializers) w.message(5, (t) => writeTensor(t, tensor));
  for (const input of graph.inputs) w.message(11, (v) => writeValueInfo(v, input));
  for (const output of graph.outputs) w.message(12, (v) => writeValueInfo(v, output));
}

/** Serialises a model to the bytes of an .onnx file. */
export function encodeModel(model: ModelValue): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, model.irVersion);
  w.string(2, model.producer);
  if (model.docString) w.string(6, model.docString);
  w.message(7, (g) => writeGraph(g, model.graph));
  w.message(8, (o) => o.string(1, "").int(2, model.opset));
  return w.finish();
}
