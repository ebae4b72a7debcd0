/**
 * gated: Rajamanoharan et al. (2024a), "Improving Dictionary Learning with Gated Sparse
 * Autoencoders" (SAELens' gated_sae.py, dictionary_learning's GatedAutoEncoder). Inference only:
 * imported gated SAEs encode and decode; edge-sae does not train them (trainable: false).
 *
 *   x̃ = x − b_dec
 *   π_gate = x̃·W_enc + b_gate                       f_gate = 1[π_gate > 0]
 *   π_mag  = x̃·(W_enc ⊙ exp(r_mag)) + b_mag         (exp(r_mag) scales unit j's column of W_enc)
 *   a = f_gate ⊙ relu(π_mag),  x̂ = a·W_dec + b_dec
 *
 * Parameters (SAELens' names; the model files' names in brackets): W_enc = W1 [encoder.weight],
 * b_gate = b1 [encoder.b_gate] (the gate path's bias is the encoder's bias of the other SAEs; SAELens
 * has no b_enc here), W_dec = W2 [decoder.weight], b_dec = b2 [decoder.bias], r_mag [encoder.r_mag],
 * b_mag [encoder.b_mag]. A gated model from given tensors: docs/ARCHITECTURES.md ("Gated").
 * Float64 reference, every formula written out: src/reference/gated-reference.ts.
 */
import { centredDictionaryParameters, type ArchitectureModule, type LayerShape, type ParameterSpec, type Parameters } from '../contract.js';
import { dictionaryInitialisation } from '../linear/initialization.js';
import { centredOnnx } from '../linear/onnx.js';
import { gatedAssemblyScript, magnitudeScale } from './assemblyscript.js';
import { gatedTfjs } from './tfjs.js';

function parameters(shape: LayerShape): ParameterSpec[] {
  const [W1, b1, W2, b2] = centredDictionaryParameters(shape);
  const vector = (name: string): ParameterSpec => ({ name, dims: [shape.hiddenSize], encoder: true, file: { layer: 'encoder', name } });
  return [W1!, { ...b1!, file: { layer: 'encoder', name: 'b_gate' } }, W2!, b2!, vector('r_mag'), vector('b_mag')];
}

/** As SAELens' _init_weights_gated: the dictionary initialisation, b_gate = r_mag = b_mag = 0 (so exp(r_mag) = 1). */
function initialise(shape: LayerShape, seed: number): Parameters {
  return { ...dictionaryInitialisation(shape, seed), r_mag: new Float32Array(shape.hiddenSize), b_mag: new Float32Array(shape.hiddenSize) };
}

const INFERENCE_ONLY = 'gated is inference only (edge-sae encodes imported gated SAEs, it does not train them)';

export const gated = {
  name: 'gated',
  summary: 'gated codes (a gate path and a magnitude path sharing W_enc), inference only',
  options: {},
  reads: [],
  trainable: false,
  linearOutput: true,
  activeThreshold: 0,
  keepsFiringCounts: false,
  decoderBiasFromData: false,
  parameters,
  initialise,
  checkConfig: () => null,
  sessionArchitecture: () => ({ architecture: 'gated', k: 0 }),
  checkSessionArchitecture: () => null,
  describeSession: () => 'gated',
  checkLoss: (method) => `${method}: ${INFERENCE_ONLY}`,
  lossFields: ({ sparsityTarget, sparsityWeight, weightDecay, reduction }) => ({ sparsityTarget, sparsityWeight, weightDecay, reduction, architecture: 'gated' }),
  assemblyscript: gatedAssemblyScript,
  tfjs: gatedTfjs,
  /**
   * e = MatMul(x̃, W_enc); gate = Cast(Greater(e + b_gate, 0)); codes = Relu(e ⊙ exp(r_mag) + b_mag) ⊙ gate,
   * exp(r_mag) stored as the kernels' float32 factors.
   */
  buildOnnx: centredOnnx(({ graph, names, parameters: p, shape }, centred) => {
    const h = shape.hiddenSize;
    const e = graph.node('MatMul', [centred, graph.constant('encoder.weight', p.W1, [shape.inputSize, h])], 'encoder_product');
    const gate = graph.node('Add', [e, graph.constant('encoder.b_gate', p.b1, [h])], 'gate_pre_activations');
    const open = graph.node('Greater', [gate, graph.constant('zero', new Float32Array(1), [1])], 'gate_open');
    const mask = graph.node('Cast', [open], 'gate_mask', [['to', 1]]);
    const scaled = graph.node('Mul', [e, graph.constant('encoder.exp_r_mag', magnitudeScale(p.r_mag!), [h])], 'magnitude_scaled');
    const magnitude = graph.node('Add', [scaled, graph.constant('encoder.b_mag', p.b_mag!, [h])], 'magnitude_pre_activations');
    const positive = graph.node('Relu', [magnitude], 'magnitudes');
    graph.node('Mul', [positive, mask], names.codes);
  }),
  onnxMetadata: () => [],
  tfjsLayers: {
    kind: 'refused',
    reason: 'is "gated", but a TF.js layers model has no built-in layer for a gate and a magnitude path; export gated models as ONNX',
  },
} as const satisfies ArchitectureModule;
