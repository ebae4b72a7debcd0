/**
 * The one place a session's arguments are checked, for every backend: each backend's
 * `createSession` is wrapped by `checkedBackend`, so a call reaches the backend only with
 * arguments of the right type and length, row counts it can compute on, row indices inside its
 * training data, and never after `dispose()`. The backends themselves check nothing, and so
 * cannot disagree at the edges (the contract is in types.ts).
 *
 * Messages name the method and the argument, e.g. "forward: x has 7 values, expected 2 × 5 = 10 values
 * (rows × inputSize)".
 */
import { architectureModule, isArchitectureName, trainingRefusal } from '../architectures/registry.js';
import { transcoderPart, transcoderShapeProblem, transcoderTrainingRefusal } from '../architectures/transcoder.js';
import { ARCHITECTURES, architectureOf, SIGMOID_ARCHITECTURE, sizeOf } from './types.js';
import type { AdamState, Architecture, BackendName, BackendSession, ForwardResult, GradientResult, KernelBackend, LayerShape, LossConfig, LossTerms, OptimizerConfig, Parameters } from './types.js';

/** Values in each of an architecture's parameters, by name, in its storage order. */
type Sizes = ReadonlyMap<string, number>;

/** Makes a backend's session for a shape and parameters already checked. */
export type SessionFactory = (shape: LayerShape, params: Parameters, architecture: Architecture) => BackendSession;

/**
 * A KernelBackend whose sessions check every call before `create`'s session sees it.
 *
 * @example
 * return checkedBackend('assemblyscript', (shape, params) => new AssemblyScriptSession(kernels, shape, params));
 */
export function checkedBackend(name: BackendName, create: SessionFactory): KernelBackend {
  return {
    name,
    createSession(shape: LayerShape, params: Parameters, architecture: Architecture = SIGMOID_ARCHITECTURE): BackendSession {
      checkPositiveInteger('createSession: inputSize', shape.inputSize);
      checkPositiveInteger('createSession: hiddenSize', shape.hiddenSize);
      const own: LayerShape = { inputSize: shape.inputSize, hiddenSize: shape.hiddenSize, ...transcoderPart(shape) };
      const ownArchitecture = checkArchitecture(architecture, own.hiddenSize);
      const transcoder = transcoderShapeProblem(ownArchitecture.architecture, own);
      if (transcoder !== null) throw new RangeError(`createSession: ${transcoder}`);
      const sizes: Sizes = new Map(architectureModule(ownArchitecture.architecture).parameters(own).map((spec) => [spec.name, sizeOf(spec.dims)]));
      checkParameters('createSession: parameters', params, sizes);
      return new CheckedSession(name, create(own, params, ownArchitecture), own, sizes, ownArchitecture);
    },
  };
}

class CheckedSession implements BackendSession {
  private inner: BackendSession | null;
  /** Rows of the training data the backend holds; 0 until setTrainingData. */
  private trainingRows = 0;

  constructor(
    private readonly backendName: BackendName,
    inner: BackendSession,
    readonly shape: LayerShape,
    private readonly sizes: Sizes,
    readonly architecture: Architecture,
  ) {
    this.inner = inner;
  }

  getParameters(): Parameters {
    return this.use('getParameters').getParameters();
  }

  setParameters(params: Parameters): void {
    const inner = this.use('setParameters');
    checkParameters('setParameters: parameters', params, this.sizes);
    inner.setParameters(params);
  }

  getOptimizerState(): AdamState | null {
    return this.use('getOptimizerState').getOptimizerState();
  }

  setOptimizerState(state: AdamState | null): void {
    const inner = this.use('setOptimizerState');
    if (state !== null) {
      if (!Number.isInteger(state.step) || state.step < 0) {
        throw new RangeError(`setOptimizerState: step must be a non-negative integer, got ${state.step}`);
      }
      checkParameters('setOptimizerState: m', state.m, this.sizes);
      checkParameters('setOptimizerState: v', state.v, this.sizes);
    }
    inner.setOptimizerState(state);
  }

  getStepsSinceFired(): Uint32Array {
    return this.use('getStepsSinceFired').getStepsSinceFired();
  }

  setStepsSinceFired(steps: Uint32Array): void {
    const inner = this.use('setStepsSinceFired');
    if (!(steps instanceof Uint32Array)) throw new TypeError(`setStepsSinceFired: steps must be a Uint32Array, got ${describe(steps)}`);
    if (steps.length !== this.shape.hiddenSize) {
      throw new RangeError(`setStepsSinceFired: steps has ${steps.length} values, expected hiddenSize = ${this.shape.hiddenSize}`);
    }
    inner.setStepsSinceFired(steps);
  }

  setTrainingData(x: Float32Array, rows: number): void {
    const inner = this.use('setTrainingData');
    this.refuseTraining('setTrainingData');
    checkPositiveInteger('setTrainingData: rows', rows);
    checkMatrix('setTrainingData', 'x', x, rows, this.shape.inputSize, 'inputSize');
    inner.setTrainingData(x, rows);
    this.trainingRows = rows;
  }

  trainStep(rowIndices: Uint32Array | null, loss: LossConfig, optimizer: OptimizerConfig): LossTerms {
    const inner = this.use('trainStep');
    this.refuseTraining('trainStep');
    if (this.trainingRows === 0) throw new Error('trainStep: no training data (call setTrainingData first)');
    if (rowIndices !== null) {
      if (!(rowIndices instanceof Uint32Array)) throw new TypeError(`trainStep: rowIndices must be a Uint32Array or null, got ${describe(rowIndices)}`);
      if (rowIndices.length === 0) throw new RangeError('trainStep: the batch is empty (rowIndices has no values)');
      for (let r = 0; r < rowIndices.length; r++) {
        const index = rowIndices[r]!;
        if (index >= this.trainingRows) {
          throw new RangeError(
            `trainStep: row index ${index} is out of range (rowIndices[${r}]): not a row of the ${this.trainingRows} training rows`,
          );
        }
      }
    }
    if (optimizer.kind !== 'adam' && optimizer.kind !== 'sgd') {
      throw new RangeError(`trainStep: unknown optimizer ${JSON.stringify((optimizer as { kind: unknown }).kind)}`);
    }
    if (optimizer.clipNorm !== undefined && !(Number.isFinite(optimizer.clipNorm) && optimizer.clipNorm >= 0)) {
      throw new RangeError(`trainStep: clipNorm must be a finite number ≥ 0 (0: no clipping), got ${optimizer.clipNorm}`);
    }
    this.checkLoss('trainStep', loss);
    return inner.trainStep(rowIndices, loss, optimizer);
  }

  forward(x: Float32Array, rows: number): ForwardResult {
    const inner = this.use('forward');
    checkNonNegativeInteger('forward: rows', rows);
    checkMatrix('forward', 'x', x, rows, this.shape.inputSize, 'inputSize');
    if (rows === 0) return { hidden: new Float32Array(0), output: new Float32Array(0) };
    return inner.forward(x, rows);
  }

  encode(x: Float32Array, rows: number): Float32Array {
    const inner = this.use('encode');
    checkNonNegativeInteger('encode: rows', rows);
    checkMatrix('encode', 'x', x, rows, this.shape.inputSize, 'inputSize');
    if (rows === 0) return new Float32Array(0);
    return inner.encode(x, rows);
  }

  decode(hidden: Float32Array, rows: number): Float32Array {
    const inner = this.use('decode');
    checkNonNegativeInteger('decode: rows', rows);
    checkMatrix('decode', 'hidden', hidden, rows, this.shape.hiddenSize, 'hiddenSize');
    if (rows === 0) return new Float32Array(0);
    return inner.decode(hidden, rows);
  }

  gradients(x: Float32Array, rows: number, loss: LossConfig): GradientResult {
    const inner = this.use('gradients');
    this.refuseTraining('gradients');
    checkNonNegativeInteger('gradients: rows', rows);
    if (rows === 0) throw new RangeError('gradients: the batch is empty (rows is 0)');
    checkMatrix('gradients', 'x', x, rows, this.shape.inputSize, 'inputSize');
    this.checkLoss('gradients', loss);
    return inner.gradients(x, rows, loss);
  }

  dispose(): void {
    const inner = this.inner;
    if (inner === null) return;
    this.inner = null;
    inner.dispose();
  }

  /** The loss must name the session's architecture, and carry what its module reads (TopK: its counts). */
  private checkLoss(method: string, loss: LossConfig): void {
    if (loss.architecture !== undefined && !isArchitectureName(loss.architecture)) {
      throw new RangeError(`${method}: loss is for ${String(loss.architecture)} but the session computes ${show(this.architecture)}`);
    }
    const named = architectureOf(loss);
    if (named.architecture !== this.architecture.architecture || named.k !== this.architecture.k) {
      throw new RangeError(`${method}: loss is for ${show(named)} but the session computes ${show(this.architecture)}`);
    }
    const problem = architectureModule(named.architecture).checkLoss(method, loss, this.shape.hiddenSize);
    if (problem !== null) throw new RangeError(problem);
  }

  /** An inference-only architecture (gated) has no backward pass: its training calls are refused. */
  private refuseTraining(method: string): void {
    const refusal = trainingRefusal(this.architecture.architecture) ?? transcoderTrainingRefusal(this.shape);
    if (refusal !== null) throw new RangeError(`${method}: ${refusal}`);
  }

  private use(method: string): BackendSession {
    if (this.inner === null) throw new Error(`${this.backendName} session is disposed: ${method}() called after dispose()`);
    return this.inner;
  }
}

function show(architecture: Architecture): string {
  return architectureModule(architecture.architecture).describeSession(architecture);
}

/** A registered architecture, as its module accepts it (TopK: k an integer from 1 to h). Returns the session's own copy. */
function checkArchitecture(architecture: Architecture, hiddenSize: number): Architecture {
  if (typeof architecture !== 'object' || architecture === null || !isArchitectureName(architecture.architecture)) {
    throw new RangeError(`createSession: architecture must be one of ${ARCHITECTURES.join(', ')}, got ${JSON.stringify(architecture?.architecture)}`);
  }
  const module = architectureModule(architecture.architecture);
  const own: Architecture = { ...module.sessionArchitecture(architecture), architecture: architecture.architecture };
  const problem = module.checkSessionArchitecture(own, hiddenSize);
  if (problem !== null) throw new RangeError(problem);
  return own;
}

function checkPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
}

function checkNonNegativeInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
}

/** `values` must be a Float32Array of rows × width values. */
function checkMatrix(method: string, name: string, values: Float32Array, rows: number, width: number, widthName: string): void {
  if (!(values instanceof Float32Array)) throw new TypeError(`${method}: ${name} must be a Float32Array, got ${describe(values)}`);
  if (values.length !== rows * width) {
    throw new RangeError(`${method}: ${name} has ${values.length} values, expected ${rows} × ${width} = ${rows * width} values (rows × ${widthName})`);
  }
}

function checkParameters(what: string, params: Parameters, sizes: Sizes): void {
  if (typeof params !== 'object' || params === null) throw new TypeError(`${what} must be an object of ${[...sizes.keys()].join(', ')}, got ${describe(params)}`);
  for (const [name, size] of sizes) {
    const value: unknown = params[name];
    if (!(value instanceof Float32Array) || value.length !== size) {
      const message = `${what}: ${name} must be a Float32Array of ${size} values, got ${describe(value)}`;
      throw value instanceof Float32Array ? new RangeError(message) : new TypeError(message);
    }
  }
}

function describe(value: unknown): string {
  if (ArrayBuffer.isView(value)) return `${value.constructor.name} of ${(value as unknown as ArrayLike<number>).length} values`;
  if (value === null) return 'null';
  return typeof value;
}
