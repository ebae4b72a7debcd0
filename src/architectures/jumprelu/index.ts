/**
 * jumprelu: Rajamanoharan et al. (2024), "Jumping Ahead: Improving Reconstruction Fidelity with
 * JumpReLU Sparse Autoencoders" (Gemma Scope's SAEs; SAELens' jumprelu):
 *   z = (x − b_dec)·W_enc + b_enc, a = z ⊙ H(z − θ) with a threshold θ_j learned per unit,
 *   x̂ = a·W_dec + b_dec
 *   L = (1/m)·Σ_i ‖x_i − x̂_i‖² + λ·(1/m)·Σ_i Σ_j H(z_ij − θ_j)
 * θ learns through the straight-through pseudo-derivatives with the rectangle kernel of bandwidth ε
 * (for the JumpReLU and for the Heaviside of the L0 term); z gets none (as SAELens). θ is trained
 * directly, not its logarithm (under Adam a log parameter barely moves a small threshold: SAELens
 * issue #494). The decoder rows are not renormalised (as SAELens' jumprelu).
 * Float64 reference, every formula written out: src/reference/jumprelu-reference.ts.
 */
import { centredDictionaryParameters, type ArchitectureModule, type ConfigView, type LayerShape, type Parameters } from '../contract.js';
import { dictionaryInitialisation } from '../linear/initialization.js';
import { linearOnnx } from '../linear/onnx.js';
import { jumpReluAssemblyScript } from './assemblyscript.js';
import { jumpReluTfjs } from './tfjs.js';

const OPTIONS = {
  l0Coefficient: { type: 'number', range: { min: 0 }, default: 0.1, description: 'jumprelu: weight λ of the L0 penalty λ·(mean over rows of the active codes) (Rajamanoharan et al. 2024)' },
  l0WarmupSteps: { type: 'integer', range: { min: 0 }, default: 0, description: 'jumprelu: λ grows linearly from 0 to l0Coefficient over this many training steps (SAELens\' l0_warm_up_steps); 0: none' },
  bandwidth: { type: 'number', range: { min: 0, minExclusive: true }, default: 0.05, description: 'jumprelu: width ε of the rectangle kernel of the thresholds\' straight-through gradients (SAELens\' default)' },
  initialThreshold: { type: 'number', range: { min: 0 }, default: 0.01, description: 'jumprelu: every unit\'s threshold θ before training (SAELens\' default)' },
} as const;

/** The dictionary initialisation (unit-norm decoder rows, W_enc = W_decᵀ, b_enc = 0), θ = θ₀ everywhere. */
function initialise(shape: LayerShape, seed: number, config?: Partial<ConfigView>): Parameters {
  const p = dictionaryInitialisation(shape, seed);
  return { ...p, theta: new Float32Array(shape.hiddenSize).fill(config?.initialThreshold ?? OPTIONS.initialThreshold.default) };
}

function finite(name: string, value: number | undefined, positive: boolean): string | null {
  const ok = typeof value === 'number' && Number.isFinite(value) && (positive ? value > 0 : value >= 0);
  return ok ? null : `${name} must be a finite number ${positive ? '> 0' : '≥ 0'}, got ${value}`;
}

export const jumprelu = {
  name: 'jumprelu',
  summary: 'JumpReLU codes with a threshold learned per unit and an L0 penalty',
  options: OPTIONS,
  reads: ['l0Coefficient', 'l0WarmupSteps', 'bandwidth', 'initialThreshold'],
  linearOutput: true,
  activeThreshold: 0,
  keepsFiringCounts: false,
  decoderBiasFromData: true,
  parameters: (shape) => [...centredDictionaryParameters(shape), { name: 'theta', dims: [shape.hiddenSize], encoder: true, file: { layer: 'encoder', name: 'threshold' } }],
  initialise,
  checkConfig: () => null,
  sessionArchitecture: () => ({ architecture: 'jumprelu', k: 0 }),
  checkSessionArchitecture: () => null,
  describeSession: () => 'jumprelu',
  checkLoss: (method, loss) => finite(`${method}: loss.l0Coefficient`, loss.l0Coefficient, false) ?? finite(`${method}: loss.bandwidth`, loss.bandwidth, true),
  lossFields: ({ sparsityTarget, sparsityWeight, weightDecay, reduction, l0Coefficient, l0WarmupSteps, bandwidth }) =>
    ({ sparsityTarget, sparsityWeight, weightDecay, reduction, architecture: 'jumprelu', l0Coefficient, l0WarmupSteps, bandwidth }),
  assemblyscript: jumpReluAssemblyScript,
  tfjs: jumpReluTfjs,
  /** codes = z ⊙ (z > θ): Greater, Cast, Mul. */
  buildOnnx: linearOnnx(({ graph, names, parameters, shape }, z) => {
    const above = graph.node('Greater', [z, graph.constant('encoder.threshold', parameters.theta!, [shape.hiddenSize])], 'above_threshold');
    const mask = graph.node('Cast', [above], 'threshold_mask', [['to', 1]]);
    graph.node('Mul', [z, mask], names.codes);
  }),
  onnxMetadata: () => [],
  tfjsLayers: {
    kind: 'refused',
    reason: 'is "jumprelu", but a TF.js layers model has no built-in layer with a threshold per unit (ThresholdedReLU has one for all); export jumprelu models as ONNX',
  },
} as const satisfies ArchitectureModule;
