/**
 * The model as an ONNX graph (opset 13): the encoder, input in the caller's scale → codes, or the
 * whole autoencoder (codes and the reconstruction, back in the caller's scale). The batch
 * dimension is symbolic ("batch"). The protobuf is written by protobufjs with the ONNX
 * definitions of the `onnx-proto` package (its static code: no eval, so it runs in Workers).
 *
 *   encoder:  input ─[Sub offset ─ Mul scale]─ Gemm(W1, b1) ─ Sigmoid ─ codes
 *   whole:    … codes ─ Gemm(W2, b2) ─ Sigmoid ─[Mul range ─ Add offset]─ reconstruction
 *
 * The bracketed scaling steps appear only for a minmax model whose scaling cannot be folded into
 * the first Gemm exactly enough (see canFoldScaling); a folded model's encoder is Gemm + Sigmoid.
 *
 * @example
 * const bytes = exportOnnx(exportableModel(model)); // write to encoder.onnx
 */
import onnxProto from 'onnx-proto';
import protobuf from 'protobufjs/minimal.js';
import { foldScaling, placeScaling, type ExportableModel, type ScalingPlacement } from './exportable.js';
import { float32LittleEndian } from '../data/float32-bytes.js';

const { onnx } = onnxProto;

export interface OnnxExportOptions {
  /** Export the whole autoencoder (outputs "codes" and "reconstruction"), not only the encoder. */
  whole?: boolean;
}

/** IR version 7 is the first that opset 13 runs under (ONNX 1.8). */
const IR_VERSION = 7;
const OPSET = 13;
const BATCH = 'batch';

/** Names of the graph's inputs and outputs, for callers that feed it. */
export const ONNX_NAMES = { input: 'input', codes: 'codes', reconstruction: 'reconstruction' } as const;

/** The ONNX model's bytes, ready to write to a `.onnx` file. */
export function exportOnnx(model: ExportableModel, options: OnnxExportOptions = {}): Uint8Array {
  return buildOnnx(model, options).bytes;
}

/** exportOnnx, also saying where the scaling went (for messages and tests). */
export function buildOnnx(model: ExportableModel, options: OnnxExportOptions = {}): { bytes: Uint8Array; scaling: ScalingPlacement } {
  const { inputSize: n, hiddenSize: h } = model.shape;
  const { W1, b1, W2, b2 } = model.parameters;
  const graph = new GraphBuilder();
  const { scaling, placement } = placeScaling(model.normalization);

  let x: string = ONNX_NAMES.input;
  let encoder = { weight: W1, bias: b1 };
  if (scaling !== null && placement === 'folded') {
    encoder = foldScaling(scaling, model.parameters, model.shape);
  } else if (scaling !== null) {
    x = graph.node('Sub', [x, graph.constant('scaling.offset', scaling.offset, [n])], 'input_shifted');
    x = graph.node('Mul', [x, graph.constant('scaling.scale', scaling.scale, [n])], 'input_scaled');
  }
  const encoderLogits = graph.node('Gemm', [x, graph.constant('encoder.weight', encoder.weight, [n, h]), graph.constant('encoder.bias', encoder.bias, [h])], 'encoder_logits');
  graph.node('Sigmoid', [encoderLogits], ONNX_NAMES.codes);
  graph.output(ONNX_NAMES.codes, h);

  if (options.whole) {
    const decoderLogits = graph.node('Gemm', [ONNX_NAMES.codes, graph.constant('decoder.weight', W2, [h, n]), graph.constant('decoder.bias', b2, [n])], 'decoder_logits');
    if (scaling === null) {
      graph.node('Sigmoid', [decoderLogits], ONNX_NAMES.reconstruction);
    } else {
      const unit = graph.node('Sigmoid', [decoderLogits], 'reconstruction_unit');
      const stretched = graph.node('Mul', [unit, graph.constant('scaling.range', scaling.range, [n])], 'reconstruction_stretched');
      // The decoder's Add reuses the encoder's offset when the graph already holds it.
      const offset = graph.has('scaling.offset') ? 'scaling.offset' : graph.constant('scaling.offset', scaling.offset, [n]);
      graph.node('Add', [stretched, offset], ONNX_NAMES.reconstruction);
    }
    graph.output(ONNX_NAMES.reconstruction, n);
  }

  const proto = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'edge-sae',
    docString: options.whole
      ? 'edge-sae sparse autoencoder: input in the training data\'s scale -> codes and reconstruction (same scale as the input)'
      : 'edge-sae sparse autoencoder encoder: input in the training data\'s scale -> codes in (0, 1)',
    metadataProps: [
      { key: 'edge-sae.inputSize', value: String(n) },
      { key: 'edge-sae.hiddenSize', value: String(h) },
      { key: 'edge-sae.normalization', value: model.normalization.kind },
      { key: 'edge-sae.scaling', value: placement },
    ],
    graph: {
      name: options.whole ? 'edge_sae_autoencoder' : 'edge_sae_encoder',
      input: [valueInfo(ONNX_NAMES.input, n)],
      output: graph.outputs,
      node: graph.nodes,
      initializer: graph.initializers,
    },
  });
  // The plain Uint8Array writer, not protobufjs's default Buffer one: workerd's Buffer.utf8Write
  // reads its length argument differently from Node's, and that writer's strings overflow there.
  return { bytes: onnx.ModelProto.encode(proto, new protobuf.Writer()).finish(), scaling: placement };
}

/** A float tensor of shape [batch, width]. */
function valueInfo(name: string, width: number): InstanceType<typeof onnx.ValueInfoProto> {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: [{ dimParam: BATCH }, { dimValue: width }] },
      },
    },
  });
}

/** Collects nodes, initializers and outputs in order; names each node after its output. */
class GraphBuilder {
  readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  readonly outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];

  has(name: string): boolean {
    return this.initializers.some((t) => t.name === name);
  }

  constant(name: string, values: Float32Array, dims: number[]): string {
    this.initializers.push(onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: float32LittleEndian(values) }));
    return name;
  }

  node(opType: string, input: string[], output: string): string {
    this.nodes.push(onnx.NodeProto.create({ opType, input, output: [output], name: output }));
    return output;
  }

  output(name: string, width: number): void {
    this.outputs.push(valueInfo(name, width));
  }
}
