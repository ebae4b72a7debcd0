/**
 * The sigmoid model as an ONNX graph:
 *   encoder:  input ─[Sub offset ─ Mul scale]─ Gemm(W1, b1) ─ Sigmoid ─ codes
 *   whole:    … codes ─ Gemm(W2, b2) ─ Sigmoid ─[Mul range ─ Add offset]─ reconstruction
 * The bracketed scaling steps appear only for a minmax model whose scaling cannot be folded into
 * the first Gemm exactly enough (src/export/exportable.ts, canFoldScaling).
 */
import type { OnnxBuild } from '../contract.js';

export function buildSigmoidOnnx(build: OnnxBuild): { docString: string; placement: 'folded' | 'separate' | 'none' } {
  const { graph, scaling, names } = build;
  const { inputSize: n, hiddenSize: h } = build.shape;
  const { W1, b1, W2, b2 } = build.parameters;
  const placement = scaling === null ? 'none' : build.foldable ? 'folded' : 'separate';
  let x: string = names.input;
  let encoder = { weight: W1, bias: b1 };
  if (scaling !== null && placement === 'folded') {
    encoder = build.foldScaling();
  } else if (scaling !== null) {
    x = graph.node('Sub', [x, graph.constant('scaling.offset', scaling.offset, [n])], 'input_shifted');
    x = graph.node('Mul', [x, graph.constant('scaling.scale', scaling.scale, [n])], 'input_scaled');
  }
  const encoderLogits = graph.node('Gemm', [x, graph.constant('encoder.weight', encoder.weight, [n, h]), graph.constant('encoder.bias', encoder.bias, [h])], 'encoder_logits');
  graph.node('Sigmoid', [encoderLogits], names.codes);
  graph.output(names.codes, h);

  if (build.whole) {
    const decoderLogits = graph.node('Gemm', [names.codes, graph.constant('decoder.weight', W2, [h, n]), graph.constant('decoder.bias', b2, [n])], 'decoder_logits');
    if (scaling === null) {
      graph.node('Sigmoid', [decoderLogits], names.reconstruction);
    } else {
      const unit = graph.node('Sigmoid', [decoderLogits], 'reconstruction_unit');
      const stretched = graph.node('Mul', [unit, graph.constant('scaling.range', scaling.range, [n])], 'reconstruction_stretched');
      // The decoder's Add reuses the encoder's offset when the graph already holds it.
      const offset = graph.has('scaling.offset') ? 'scaling.offset' : graph.constant('scaling.offset', scaling.offset, [n]);
      graph.node('Add', [stretched, offset], names.reconstruction);
    }
    graph.output(names.reconstruction, n);
  }

  const docString = build.whole
    ? 'edge-sae sparse autoencoder: input in the training data\'s scale -> codes and reconstruction (same scale as the input)'
    : 'edge-sae sparse autoencoder encoder: input in the training data\'s scale -> codes in (0, 1)';
  return { docString, placement };
}
