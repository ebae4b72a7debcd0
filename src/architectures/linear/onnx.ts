/**
 * The dictionary-learning SAEs as an ONNX graph: the kernels' own order of operations, nothing
 * folded, so an architecture that selects codes (topk) selects the same units the kernels select
 * (a folded bias would round z differently and could swap two nearly tied units):
 *
 *   encoder:  input ─[Sub offset ─ Mul scale]─ Sub b_dec ─ Gemm(W_enc, b_enc) ─ (the codes) ─ codes
 *   whole:    … codes ─ Gemm(W_dec, b_dec) ─[Mul range ─ Add offset]─ reconstruction (linear)
 */
import type { OnnxBuild } from '../contract.js';

/** Writes the codes of the pre-activations `z` (or, for centredOnnx, of the centred input) into the node named `build.names.codes`. */
export type OnnxCodes = (build: OnnxBuild, z: string) => void;

export function linearOnnx(codes: OnnxCodes) {
  return centredOnnx((build, centred) => {
    const { graph, parameters, shape } = build;
    const z = graph.node('Gemm', [centred, graph.constant('encoder.weight', parameters.W1, [shape.inputSize, shape.hiddenSize]), graph.constant('encoder.bias', parameters.b1, [shape.hiddenSize])], 'pre_activations');
    codes(build, z);
  });
}

/**
 * The same graph with the encoder after the centring written by `encoder` (gated: two paths from
 * one product), which writes the node named `build.names.codes` from the centred input.
 */
export function centredOnnx(encoder: OnnxCodes) {
  return (build: OnnxBuild): { docString: string; placement: 'folded' | 'separate' | 'none' } => {
    const { graph, scaling, names } = build;
    const { inputSize: n, hiddenSize: h } = build.shape;
    const { W2, b2 } = build.parameters;
    const placement = scaling === null ? 'none' : 'separate';
    let x: string = names.input;
    if (scaling !== null) {
      x = graph.node('Sub', [x, graph.constant('scaling.offset', scaling.offset, [n])], 'input_shifted');
      x = graph.node('Mul', [x, graph.constant('scaling.scale', scaling.scale, [n])], 'input_scaled');
    }
    const centred = graph.node('Sub', [x, graph.constant('decoder.bias', b2, [n])], 'input_centred');
    encoder(build, centred);
    graph.output(names.codes, h);

    if (build.whole) {
      if (scaling === null) {
        graph.node('Gemm', [names.codes, graph.constant('decoder.weight', W2, [h, n]), 'decoder.bias'], names.reconstruction);
      } else {
        const unit = graph.node('Gemm', [names.codes, graph.constant('decoder.weight', W2, [h, n]), 'decoder.bias'], 'reconstruction_normalised');
        const stretched = graph.node('Mul', [unit, graph.constant('scaling.range', scaling.range, [n])], 'reconstruction_stretched');
        graph.node('Add', [stretched, 'scaling.offset'], names.reconstruction);
      }
      graph.output(names.reconstruction, n);
    }
    const docString = `edge-sae ${build.architecture.architecture} sparse autoencoder${build.whole ? '' : ' encoder'}: input in the training data's scale -> codes${build.whole ? ' and reconstruction (same scale as the input)' : ''}`;
    return { docString, placement };
  };
}
