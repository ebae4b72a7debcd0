/**
 * The float64 reference wrapped as a KernelBackend, so the model's logic (batching, resume,
 * normalisation, files) can be tested against an oracle independent of any kernel. Test-only:
 * it is as slow as the reference.
 */
import { checkedBackend } from '../../src/backends/checked-session.js';
import type { AdamState, Architecture, BackendSession, KernelBackend, LayerShape, LossConfig, OptimizerConfig, Parameters } from '../../src/backends/types.js';
import { referenceOf } from '../../src/reference/architectures.js';
import { linearDecode, updateStepsSinceFired } from '../../src/reference/linear-sae-reference.js';
import {
  referenceAdamStep,
  referenceForward,
  referenceGradients,
  sigmoid,
  toParameters64,
  zeroParameters64,
  type Parameters64,
  type ReferenceAdamState,
} from '../../src/reference/sae-reference.js';
import { PARAMETER_NAMES, toFloat32Parameters } from './parameters.js';

class ReferenceSession implements BackendSession {
  private params: Parameters64;
  private adam: ReferenceAdamState | null = null;
  private data = new Float32Array(0);
  private rows = 0;
  private stepsSinceFired: Uint32Array;

  constructor(readonly shape: LayerShape, params: Parameters, readonly architecture: Architecture) {
    this.params = toParameters64(params);
    this.stepsSinceFired = new Uint32Array(shape.hiddenSize);
  }

  getStepsSinceFired(): Uint32Array {
    return this.stepsSinceFired.slice();
  }
  setStepsSinceFired(steps: Uint32Array): void {
    this.stepsSinceFired = steps.slice();
  }
  /** What the loss holds constant: the units dead now (topk). */
  private lossState(loss: LossConfig) {
    return referenceOf(this.architecture.architecture).lossState(this.stepsSinceFired, loss);
  }

  getParameters(): Parameters {
    return toFloat32Parameters(this.params);
  }
  setParameters(params: Parameters): void {
    this.params = toParameters64(params);
  }
  getOptimizerState(): AdamState | null {
    return this.adam && { step: this.adam.step, m: toFloat32Parameters(this.adam.m), v: toFloat32Parameters(this.adam.v) };
  }
  setOptimizerState(state: AdamState | null): void {
    this.adam = state && { step: state.step, m: toParameters64(state.m), v: toParameters64(state.v) };
  }
  setTrainingData(x: Float32Array, rows: number): void {
    this.data = x.slice();
    this.rows = rows;
  }
  trainStep(rowIndices: Uint32Array | null, loss: LossConfig, optimizer: OptimizerConfig) {
    const n = this.shape.inputSize;
    let x = this.data;
    let rows = this.rows;
    if (rowIndices) {
      rows = rowIndices.length;
      x = new Float32Array(rows * n);
      rowIndices.forEach((r, i) => x.set(this.data.subarray(r * n, (r + 1) * n), i * n));
    }
    const { terms, gradients } = referenceGradients(this.params, x, rows, this.shape, loss, this.lossState(loss));
    // the step's codes: the training selection where it is not forward's (batchtopk)
    const reference = referenceOf(this.architecture.architecture);
    const hidden = reference.trainingCodes?.(this.params, x, rows, this.shape, loss) ?? referenceForward(this.params, x, rows, this.shape, this.architecture).hidden;
    updateStepsSinceFired(this.stepsSinceFired, hidden, rows, this.shape.hiddenSize);
    // moments for every parameter the architecture declares (jumprelu's θ too)
    const zeros = () => ({ ...zeroParameters64(this.shape), ...Object.fromEntries(Object.entries(this.params).map(([k, v]) => [k, new Float64Array(v.length)])) }) as Parameters64;
    if (optimizer.kind === 'adam' && this.adam === null) {
      this.adam = { step: 0, m: zeros(), v: zeros() };
    }
    const state = this.adam ?? { step: 0, m: zeros(), v: zeros() };
    referenceAdamStep(this.params, gradients, state, optimizer);
    reference.afterUpdate?.(this.params, this.shape, { hidden, rows, loss });
    // Keep parameters and moments float32 between steps, as every real backend does.
    const round = (p: Parameters64) => {
      for (const name of Object.keys(p)) p[name] = Float64Array.from(Float32Array.from(p[name]!));
    };
    round(this.params);
    if (this.adam) {
      round(this.adam.m);
      round(this.adam.v);
    }
    return terms;
  }
  forward(x: Float32Array, rows: number) {
    const { hidden, output } = referenceForward(this.params, x, rows, this.shape, this.architecture);
    return { hidden: Float32Array.from(hidden), output: Float32Array.from(output) };
  }
  encode(x: Float32Array, rows: number): Float32Array {
    return this.forward(x, rows).hidden;
  }
  decode(hidden: Float32Array, rows: number): Float32Array {
    if (this.architecture.architecture !== 'sigmoid') return Float32Array.from(linearDecode(this.params, hidden, rows, this.shape));
    const { inputSize: n, hiddenSize: h } = this.shape;
    const out = new Float32Array(rows * n);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < n; j++) {
        let z = this.params.b2[j]!;
        for (let k = 0; k < h; k++) z += hidden[i * h + k]! * this.params.W2[k * n + j]!;
        out[i * n + j] = sigmoid(z);
      }
    }
    return out;
  }
  gradients(x: Float32Array, rows: number, loss: LossConfig) {
    const { terms, meanActivation, gradients } = referenceGradients(this.params, x, rows, this.shape, loss, this.lossState(loss));
    return { terms, meanActivation: Float32Array.from(meanActivation), gradients: toFloat32Parameters(gradients) };
  }
  dispose(): void {}
}

/**
 * A KernelBackend computing in float64 with the reference, its sessions checked as every
 * backend's are (checked-session.ts). Its name is a placeholder: BackendName has no 'reference'.
 */
export const referenceBackend: KernelBackend = checkedBackend('assemblyscript', (shape, params, architecture) => new ReferenceSession(shape, params, architecture));
