/**
 * Encoding, and nothing else (issue 27): the input scaling and an encode-only backend session
 * (src/backends/assemblyscript/encode-session.ts) holding W_enc in its stored dtype, laid out once.
 * `model.encode` runs one (made on its first call, dropped when training changes the weights);
 * `EncodingSession.fromBytes` makes one straight from a model file's bytes, reading only the
 * encoder's tensors (a bf16 or int8 file's prefix), without the decoder or a full model.
 *
 * @example
 * const { backend } = await loadNodeBackend('assemblyscript');
 * const session = EncodingSession.fromBytes(readFileSync('sae-bf16.safetensors'), backend);
 * const codes = session.encode(rows); // rows × h
 */
import type { ArchitectureName } from '../architectures/registry.js';
import { architectureModule } from '../architectures/registry.js';
import { architectureOf, type EncoderParts, type EncoderSession, type KernelBackend, type LayerShape } from '../backends/types.js';
import { toMatrix, type Matrix } from '../data/matrix.js';
import { DataError } from '../errors.js';
import type { ModelConfig } from './config.js';
import { readBinaryModelFile } from './model-file-binary.js';
import { modelFileForm } from './model-bytes.js';
import type { ModelState } from './model-file.js';
import { normalize, type Normalization } from './normalization.js';
import { checkFiniteOutput } from './output-check.js';
import type { StoredMatrix, WeightDtype } from './weight-dtype.js';
import { ModelFileError } from '../errors.js';

/** The encoder's parameters of a model state (W_enc as stored when the model is bf16 or int8). */
export function encoderParts(state: Pick<ModelState, 'shape' | 'config' | 'parameters' | 'stored'>): EncoderParts {
  const { shape, config, parameters } = state;
  const W1: StoredMatrix = state.stored ? state.stored.W1 : { dtype: 'f32', values: parameters.W1 };
  const extras: Record<string, Float32Array> = {};
  for (const spec of architectureModule(config.architecture).parameters(shape)) {
    if (spec.encoder && !['W1', 'b1', 'W2', 'b2'].includes(spec.name)) extras[spec.name] = parameters[spec.name]!;
  }
  return { shape, architecture: architectureOf(config), W1, b1: parameters.b1, b2: parameters.b2.length === shape.inputSize ? parameters.b2 : null, extras };
}

export class EncodingSession {
  private disposed = false;

  private constructor(
    private readonly inner: EncoderSession,
    readonly config: ModelConfig,
    readonly normalization: Normalization,
    readonly weightDtype: WeightDtype,
  ) {}

  /**
   * The encode-only session of a model state on `backend`, or null when the backend has none for
   * this architecture (the tfjs backends; an architecture whose encoder is not linear + activation).
   */
  static fromState(state: Pick<ModelState, 'shape' | 'config' | 'parameters' | 'stored' | 'normalization'>, backend: KernelBackend): EncodingSession | null {
    const inner = backend.createEncoder?.(encoderParts(state)) ?? null;
    return inner === null ? null : new EncodingSession(inner, state.config, state.normalization, state.stored?.dtype ?? 'f32');
  }

  /**
   * The encode-only session of a binary model file's bytes (all of them, or the first
   * encoderBytes(file)): only the encoder's tensors are read and checked, W_enc is laid out from
   * the file's bytes as stored (no float32 copy of bf16 or int8 weights). Throws ModelFileError
   * naming the field for a bad file, and for a JSON file or a backend without encode-only sessions.
   */
  static fromBytes(bytes: Uint8Array, backend: KernelBackend, source?: string): EncodingSession {
    if (modelFileForm(bytes) !== 'safetensors') {
      throw new ModelFileError('(root)', 'an encode-only session reads a binary (safetensors) model file; load a JSON model file with SparseAutoencoder.fromBytes');
    }
    const state = readBinaryModelFile(bytes, source, { encoderOnly: true, withoutHistory: true });
    const session = EncodingSession.fromState(state, backend);
    if (session === null) {
      throw new ModelFileError('config.architecture', `the ${backend.name} backend has no encode-only session for ${state.config.architecture}; load the model with SparseAutoencoder.fromBytes`);
    }
    return session;
  }

  get shape(): LayerShape {
    return this.inner.shape;
  }

  get inputSize(): number {
    return this.inner.shape.inputSize;
  }

  get hiddenSize(): number {
    return this.inner.shape.hiddenSize;
  }

  /** Bytes of W_enc as the kernels read it. */
  get weightBytes(): number {
    return this.inner.weightBytes;
  }

  get architecture(): ArchitectureName {
    return this.config.architecture;
  }

  /** The codes of each row (in the caller's scale), h numbers a row: as model.encode. */
  encode(data: Matrix | number[][]): Matrix {
    if (this.disposed) throw new Error('this encoding session has been disposed');
    const matrix = toMatrix(data, 'data');
    if (matrix.cols !== this.inputSize) {
      throw new DataError(`rows have ${matrix.cols} columns but the model takes ${this.inputSize} inputs`, { source: 'data', row: 1 });
    }
    const x = normalize(this.normalization, matrix.data, matrix.rows, matrix.cols, 'data', architectureModule(this.config.architecture).linearOutput);
    checkFiniteOutput(x, matrix.cols, 'scaled inputs');
    return this.encodeScaled(x, matrix.rows);
  }

  /** The codes of rows already in the model's input space (normalised and checked finite). */
  encodeScaled(x: Float32Array, rows: number): Matrix {
    if (this.disposed) throw new Error('this encoding session has been disposed');
    const codes = this.inner.encode(x, rows);
    checkFiniteOutput(codes, this.hiddenSize, 'codes');
    return { rows, cols: this.hiddenSize, data: codes };
  }

  dispose(): void {
    if (!this.disposed) this.inner.dispose();
    this.disposed = true;
  }
}

