// Small helpers to write ONNX graphs from TypeScript (onnx-proto): used by the
// llama2.c converter and by the scripts that make test fixtures.
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
export const T = onnx.TensorProto.DataType;
export const A = onnx.AttributeProto.AttributeType;
export type Attr = { name: string; type: number; i?: number; f?: number; ints?: number[] };
/** onnxruntime's contrib operators (MatMulNBits...) live in this domain. */
export const MS_DOMAIN = 'com.microsoft';
export type Dim = number | string;

export class GraphBuilder {
  readonly nodes: object[] = [];
  readonly initializers: object[] = [];
  private n = 0;

  node(op: string, inputs: string[], attrs: Attr[] = [], outName?: string, domain?: string): string {
    const out = outName ?? `${op.toLowerCase()}_${this.n++}`;
    this.nodes.push({
      opType: op,
      input: inputs,
      output: [out],
      name: `${op}_${this.n++}`,
      attribute: attrs,
      ...(domain ? { domain } : {}),
    });
    return out;
  }
  split(input: string, axis: number, outputs: string[]): string[] {
    this.nodes.push({
      opType: 'Split',
      input: [input],
      output: outputs,
      name: `Split_${this.n++}`,
      attribute: [
        { name: 'axis', type: A.INT, i: axis },
        { name: 'num_outputs', type: A.INT, i: outputs.length },
      ],
    });
    return outputs;
  }
  float(name: string, data: Float32Array, dims: number[]): string {
    this.initializers.push({
      name,
      dataType: T.FLOAT,
      dims,
      rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
    return name;
  }
  uint8(name: string, data: Uint8Array, dims: number[]): string {
    this.initializers.push({ name, dataType: T.UINT8, dims, rawData: data });
    return name;
  }
  int64(name: string, values: number[], dims = [values.length]): string {
    this.initializers.push({ name, dataType: T.INT64, dims, int64Data: values });
    return name;
  }
  scalar(name: string, value: number): string {
    return this.float(name, new Float32Array([value]), []);
  }
}

export const valueInfo = (name: string, elemType: number, dims: Dim[]) => ({
  name,
  type: {
    tensorType: {
      elemType,
      shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
    },
  },
});

export function encodeModel(
  g: GraphBuilder,
  name: string,
  inputs: object[],
  outputs: object[],
  producer: string,
): Uint8Array {
  const contrib = g.nodes.some((n) => (n as { domain?: string }).domain === MS_DOMAIN);
  const model = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 18 }, ...(contrib ? [{ domain: MS_DOMAIN, version: 1 }] : [])],
    producerName: producer,
    graph: { name, node: g.nodes, initializer: g.initializers, input: inputs, output: outputs },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.fromObject(model)).finish();
}
