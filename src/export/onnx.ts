/**
 * The model as an ONNX graph (opset 13): the encoder, input in the caller's scale → codes, or the
 * whole autoencoder (codes and the reconstruction, back in the caller's scale). The batch
 * dimension is symbolic ("batch"). The protobuf is written by ./protobuf-writer.ts (why by hand:
 * see there), field for field as protobufjs with the `onnx-proto` definitions writes it.
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
import { ProtoMessage } from './protobuf-writer.js';
import type { Architecture } from '../backends/types.js';
import { foldScaling, inputScaling, placeScaling, type ExportableModel, type ScalingPlacement } from './exportable.js';
import { float32LittleEndian } from '../data/float32-bytes.js';

/** TensorProto.DataType.FLOAT and INT64. */
const FLOAT = 1;
const INT64 = 7;

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

  const architecture = model.architecture ?? { architecture: 'sigmoid', k: 0 };
  if (architecture.architecture !== 'sigmoid') return buildLinearOnnx(model, architecture, graph, options);

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

  const docString = options.whole
    ? 'edge-sae sparse autoencoder: input in the training data\'s scale -> codes and reconstruction (same scale as the input)'
    : 'edge-sae sparse autoencoder encoder: input in the training data\'s scale -> codes in (0, 1)';
  return { bytes: finishModel(model, graph, options, docString, placement), scaling: placement };
}

/**
 * relu and topk (docs/ARCHITECTURES.md): the kernels' own order of operations, nothing folded,
 * so topk selects the same k units the kernels select (a folded bias would round z differently
 * and could swap two nearly tied units):
 *
 *   encoder:  input ─[Sub offset ─ Mul scale]─ Sub b_dec ─ Gemm(W_enc, b_enc) ─ Relu ─ codes
 *   topk:     … Gemm ─ TopK(k) ─ Relu on the values ─ ScatterElements into zeros ─ codes
 *   whole:    … codes ─ Gemm(W_dec, b_dec) ─[Mul range ─ Add offset]─ reconstruction (linear)
 *
 * ONNX's TopK puts the lower index first among equal values, as the kernels break ties.
 */
function buildLinearOnnx(model: ExportableModel, architecture: Architecture, graph: GraphBuilder, options: OnnxExportOptions): { bytes: Uint8Array; scaling: ScalingPlacement } {
  const { inputSize: n, hiddenSize: h } = model.shape;
  const { W1, b1, W2, b2 } = model.parameters;
  const scaling = inputScaling(model.normalization);
  const placement: ScalingPlacement = scaling === null ? 'none' : 'separate';
  let x: string = ONNX_NAMES.input;
  if (scaling !== null) {
    x = graph.node('Sub', [x, graph.constant('scaling.offset', scaling.offset, [n])], 'input_shifted');
    x = graph.node('Mul', [x, graph.constant('scaling.scale', scaling.scale, [n])], 'input_scaled');
  }
  const centred = graph.node('Sub', [x, graph.constant('decoder.bias', b2, [n])], 'input_centred');
  const z = graph.node('Gemm', [centred, graph.constant('encoder.weight', W1, [n, h]), graph.constant('encoder.bias', b1, [h])], 'pre_activations');
  if (architecture.architecture === 'relu') {
    graph.node('Relu', [z], ONNX_NAMES.codes);
  } else {
    const [values, indices] = ['topk_values', 'topk_indices'] as const;
    graph.nodeOutputs('TopK', [z, graph.int64Constant('topk.k', [architecture.k], [1])], [values, indices]);
    const kept = graph.node('Relu', [values], 'topk_kept');
    const zeros = graph.node('ConstantOfShape', [graph.node('Shape', [z], 'pre_activations_shape')], 'zeros');
    graph.node('ScatterElements', [zeros, indices, kept], ONNX_NAMES.codes, [['axis', 1]]);
  }
  graph.output(ONNX_NAMES.codes, h);

  if (options.whole) {
    if (scaling === null) {
      graph.node('Gemm', [ONNX_NAMES.codes, graph.constant('decoder.weight', W2, [h, n]), 'decoder.bias'], ONNX_NAMES.reconstruction);
    } else {
      const unit = graph.node('Gemm', [ONNX_NAMES.codes, graph.constant('decoder.weight', W2, [h, n]), 'decoder.bias'], 'reconstruction_normalised');
      const stretched = graph.node('Mul', [unit, graph.constant('scaling.range', scaling.range, [n])], 'reconstruction_stretched');
      graph.node('Add', [stretched, 'scaling.offset'], ONNX_NAMES.reconstruction);
    }
    graph.output(ONNX_NAMES.reconstruction, n);
  }
  const docString = `edge-sae ${architecture.architecture} sparse autoencoder${options.whole ? '' : ' encoder'}: input in the training data's scale -> codes${options.whole ? ' and reconstruction (same scale as the input)' : ''}`;
  return { bytes: finishModel(model, graph, options, docString, placement), scaling: placement };
}

/** The ModelProto around a built graph. */
function finishModel(model: ExportableModel, graph: GraphBuilder, options: OnnxExportOptions, docString: string, placement: ScalingPlacement): Uint8Array {
  const { inputSize: n, hiddenSize: h } = model.shape;
  const architecture = model.architecture ?? { architecture: 'sigmoid', k: 0 };
  const metadata: [string, string][] = [
    ['edge-sae.inputSize', String(n)],
    ['edge-sae.hiddenSize', String(h)],
    ['edge-sae.normalization', model.normalization.kind],
    ['edge-sae.scaling', placement],
    ['edge-sae.architecture', architecture.architecture],
    ...(architecture.architecture === 'topk' ? ([['edge-sae.k', String(architecture.k)]] as [string, string][]) : []),
  ];
  // GraphProto: node 1, name 2, initializer 5, input 11, output 12.
  const graphProto = new ProtoMessage();
  for (const node of graph.nodes) graphProto.message(1, node);
  graphProto.string(2, options.whole ? 'edge_sae_autoencoder' : 'edge_sae_encoder');
  for (const tensor of graph.initializers) graphProto.message(5, tensor);
  graphProto.message(11, valueInfo(ONNX_NAMES.input, n));
  for (const output of graph.outputs) graphProto.message(12, output);
  // ModelProto: ir_version 1, producer_name 2, doc_string 6, graph 7, opset_import 8, metadata_props 14.
  const proto = new ProtoMessage().int(1, IR_VERSION).string(2, 'edge-sae').string(6, docString).message(7, graphProto);
  proto.message(8, new ProtoMessage().string(1, '').int(2, OPSET));
  for (const [key, value] of metadata) proto.message(14, new ProtoMessage().string(1, key).string(2, value));
  return proto.finish();
}

/** A float tensor of shape [batch, width] (ValueInfoProto: name 1, type 2; TypeProto.tensor_type 1). */
function valueInfo(name: string, width: number): ProtoMessage {
  // TensorShapeProto.dim 1; Dimension: dim_value 1, dim_param 2.
  const shape = new ProtoMessage().message(1, new ProtoMessage().string(2, BATCH)).message(1, new ProtoMessage().int(1, width));
  const tensorType = new ProtoMessage().int(1, FLOAT).message(2, shape);
  return new ProtoMessage().string(1, name).message(2, new ProtoMessage().message(1, tensorType));
}

/** Collects nodes, initializers and outputs in order; names each node after its output. */
class GraphBuilder {
  readonly nodes: ProtoMessage[] = [];
  readonly initializers: ProtoMessage[] = [];
  readonly outputs: ProtoMessage[] = [];
  private readonly names = new Set<string>();

  has(name: string): boolean {
    return this.names.has(name);
  }

  /** TensorProto: dims 1 (packed), data_type 2, name 8, raw_data 9. */
  constant(name: string, values: Float32Array, dims: number[]): string {
    this.names.add(name);
    this.initializers.push(new ProtoMessage().packedInts(1, dims).int(2, FLOAT).string(8, name).bytes(9, float32LittleEndian(values)));
    return name;
  }

  /** TensorProto of INT64 (data_type 7), raw little-endian: TopK's k. */
  int64Constant(name: string, values: readonly number[], dims: number[]): string {
    this.names.add(name);
    const raw = new Uint8Array(values.length * 8);
    const view = new DataView(raw.buffer);
    values.forEach((value, i) => view.setBigInt64(i * 8, BigInt(value), true));
    this.initializers.push(new ProtoMessage().packedInts(1, dims).int(2, INT64).string(8, name).bytes(9, raw));
    return name;
  }

  /** NodeProto: input 1, output 2, name 3, op_type 4, attribute 5 (integer attributes only). */
  node(opType: string, input: string[], output: string, attributes: [string, number][] = []): string {
    return this.nodeOutputs(opType, input, [output], attributes)[0]!;
  }

  /** A node of several outputs (TopK: values, indices); named after its first. */
  nodeOutputs(opType: string, input: string[], outputs: string[], attributes: [string, number][] = []): string[] {
    const node = new ProtoMessage();
    for (const name of input) node.string(1, name);
    for (const name of outputs) node.string(2, name);
    node.string(3, outputs[0]!).string(4, opType);
    // AttributeProto: name 1, i 3, type 20 (AttributeType.INT = 2).
    for (const [name, value] of attributes) node.message(5, new ProtoMessage().string(1, name).int(3, value).int(20, 2));
    this.nodes.push(node);
    return outputs;
  }

  output(name: string, width: number): void {
    this.outputs.push(valueInfo(name, width));
  }
}
