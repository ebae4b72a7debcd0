/**
 * The metrics of docs/SPEC.md §2 over data read shard by shard: each shard's loss terms (from the
 * kernels) and forward pass are folded into running sums, so the whole data is never in memory.
 * The same quantities as computeMetrics on the whole data, but summed in another order (per
 * shard, in float64), so equal to evaluate's within float rounding, not bit for bit — except the
 * weight-decay term, which does not depend on the data and is the kernels' own number — and the
 * counts (l0's active codes, dead and dense units), which are whole numbers and so exactly equal.
 */
import { architectureModule } from '../architectures/registry.js';
import { KL_CLAMP } from '../backends/formulas.js';
import type { ForwardResult, LossConfig, LossTerms } from '../backends/types.js';
import { activeThreshold, addFiringCounts, unitCounts, type Metrics } from './metrics.js';

/** Everything StreamedMetrics has summed so far, as plain numbers (a job's checkpoint keeps it mid-pass). */
export interface StreamedMetricsState {
  rows: number;
  halfSquaredError: number;
  weightDecay: number;
  linearSparsity: number;
  activeCodes: number;
  residual: number;
  activationSum: number[];
  firing: number[];
  featureMean: number[];
  featureM2: number[];
}

export class StreamedMetrics {
  private rows = 0;
  /** Σ over rows of the reconstruction term before its scale r: ½·Σ(y − x)² (sigmoid), Σ(y − x)² (relu, TopK). */
  private halfSquaredError = 0;
  private weightDecay = 0;
  /** relu, TopK: Σ over shards of the shard's sparsity term × its rows (the term is a mean over rows). */
  private linearSparsity = 0;
  private readonly activationSum: Float64Array;
  /** Per unit, the rows so far where it was active; and the active codes in all. */
  private readonly firing: Float64Array;
  private activeCodes = 0;
  private residual = 0;
  /** Per column: the mean and Σ(x − mean)² of the rows so far (Chan et al.'s pairwise update). */
  private readonly featureMean: Float64Array;
  private readonly featureM2: Float64Array;

  constructor(
    private readonly loss: LossConfig,
    private readonly inputSize: number,
    private readonly hiddenSize: number,
  ) {
    this.activationSum = new Float64Array(hiddenSize);
    this.firing = new Float64Array(hiddenSize);
    this.featureMean = new Float64Array(inputSize);
    this.featureM2 = new Float64Array(inputSize);
  }

  /** The sums so far (float64 numbers, exact through JSON but for non-finite values and −0: see metrics-pass.ts). */
  snapshot(): StreamedMetricsState {
    return {
      rows: this.rows,
      halfSquaredError: this.halfSquaredError,
      weightDecay: this.weightDecay,
      linearSparsity: this.linearSparsity,
      activeCodes: this.activeCodes,
      residual: this.residual,
      activationSum: Array.from(this.activationSum),
      firing: Array.from(this.firing),
      featureMean: Array.from(this.featureMean),
      featureM2: Array.from(this.featureM2),
    };
  }

  /** Continues from a snapshot: the same sums, so the result is the one an unbroken pass gives. */
  restore(state: StreamedMetricsState): this {
    if (state.activationSum.length !== this.hiddenSize || state.firing.length !== this.hiddenSize || state.featureMean.length !== this.inputSize || state.featureM2.length !== this.inputSize) {
      throw new Error('metrics snapshot does not match the model shape');
    }
    ({ rows: this.rows, halfSquaredError: this.halfSquaredError, weightDecay: this.weightDecay, linearSparsity: this.linearSparsity, activeCodes: this.activeCodes, residual: this.residual } = state);
    this.activationSum.set(state.activationSum);
    this.firing.set(state.firing);
    this.featureMean.set(state.featureMean);
    this.featureM2.set(state.featureM2);
    return this;
  }

  /** Folds in `rows` rows of normalised `x`, with the kernels' terms, mean activation and forward pass on them. */
  add(terms: LossTerms, meanActivation: ArrayLike<number>, forward: ForwardResult, x: Float32Array, rows: number): void {
    const n = this.inputSize;
    const h = this.hiddenSize;
    // sigmoid: the reconstruction is ½·Σ(y − x)², divided by the rows with reduction "mean";
    // relu, TopK: both terms are means over the rows (src/reference/linear-dictionary-reference.ts), so weigh by rows.
    const r = this.linear || this.loss.reduction === 'mean' ? rows : 1;
    this.halfSquaredError += terms.reconstruction * r;
    this.weightDecay = terms.weightDecay;
    if (this.linear) this.linearSparsity += terms.sparsity * rows;
    for (let j = 0; j < h; j++) this.activationSum[j]! += meanActivation[j]! * rows;

    const mean = new Float64Array(n);
    for (let i = 0; i < rows; i++) for (let j = 0; j < n; j++) mean[j]! += x[i * n + j]!;
    for (let j = 0; j < n; j++) mean[j]! /= rows;
    const m2 = new Float64Array(n);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < n; j++) {
        const k = i * n + j;
        this.residual += (forward.output[k]! - x[k]!) ** 2;
        m2[j]! += (x[k]! - mean[j]!) ** 2;
      }
    }
    const total = this.rows + rows;
    for (let j = 0; j < n; j++) {
      const delta = mean[j]! - this.featureMean[j]!;
      this.featureM2[j]! += m2[j]! + (delta * delta * this.rows * rows) / total;
      this.featureMean[j]! += (delta * rows) / total;
    }
    this.rows = total;

    this.activeCodes += addFiringCounts(forward.hidden, rows, h, activeThreshold(this.loss.architecture), this.firing);
  }

  /** The dictionary SAEs' terms are means over the rows (src/reference/linear-dictionary-reference.ts); the sigmoid model's KL is of the whole data's ρ̂. */
  private get linear(): boolean {
    return architectureModule(this.loss.architecture).linearOutput;
  }

  result(): Metrics {
    const { sparsityTarget: rho, sparsityWeight, reduction } = this.loss;
    const h = this.hiddenSize;
    const reconstruction = this.linear || reduction === 'mean' ? this.halfSquaredError / this.rows : this.halfSquaredError;
    let kl = 0;
    let meanOfMeans = 0;
    for (let j = 0; j < h; j++) {
      const q = this.activationSum[j]! / this.rows;
      meanOfMeans += q;
      const c = Math.min(Math.max(q, KL_CLAMP), 1 - KL_CLAMP);
      kl += rho * Math.log(rho / c) + (1 - rho) * Math.log((1 - rho) / (1 - c));
    }
    // The KL penalty needs every row's mean activation, so it is built here from the sums; the
    // relu and TopK penalties are row means, summed as they came.
    const sparsity = this.linear ? this.linearSparsity / this.rows : sparsityWeight * kl;
    let total = 0;
    for (let j = 0; j < this.inputSize; j++) total += this.featureM2[j]!;
    const { deadUnits, denseUnits } = unitCounts(this.firing, this.rows);
    const fvu = total > 0 ? this.residual / total : null;
    return {
      loss: reconstruction + this.weightDecay + sparsity,
      reconstruction,
      weightDecay: this.weightDecay,
      sparsity,
      meanActivation: meanOfMeans / h,
      fvu,
      explainedVariance: fvu === null ? null : 1 - fvu,
      l0: this.activeCodes / this.rows,
      deadUnits,
      denseUnits,
      rows: this.rows,
    };
  }
}
