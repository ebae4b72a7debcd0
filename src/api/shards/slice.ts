/**
 * One encoder shard's slice: feature columns [from, to) of a stored model's encoder, read from R2
 * and laid out in an encode-only session, and the codes of those columns for raw rows.
 *
 * Read from the model object itself, by ranges (./../models/tensor-ranges.ts): the header, b_enc's
 * and the threshold's slices, b_dec and the input scaling (small), and W_enc streamed once with
 * only the slice's columns kept. W_enc is stored [inputs × features] row-major, so a column slice
 * is spread over every row: reading only its bytes would be one range read per input (2,304 for
 * Gemma Scope), past a Durable Object's subrequest budget, so each shard streams the whole tensor
 * once, at its cold start, and keeps 1/N of it. The alternative, shard objects written to R2 at
 * import, would read 1/N at a cold start but store the encoder twice and need writing, cleaning
 * on delete and retrain, and a writer that can hold a 302 MB encoder; with the model object as the
 * only source there is nothing to keep in step, and a restarted shard rebuilds the same slice.
 */
import { architectureModule, isArchitectureName, type ArchitectureName } from '../../architectures/registry.js';
import { loadWorkerBackend } from '../backends.js';
import type { ModelConfig } from '../../model/config.js';
import { EncodingSession } from '../../model/encoding-session.js';
import { isRowNormalization, normalize, rowNormalize, type RowNormalization } from '../../model/normalization.js';
import { checkFiniteOutput } from '../../model/output-check.js';
import type { Parameters } from '../../backends/types.js';
import { normalizationOf } from '../models/stored-normalization.js';
import { StoredTensors } from '../models/tensor-ranges.js';
import type { StoredModel } from '../model-store.js';

export interface ShardSlice {
  readonly session: EncodingSession;
  readonly from: number;
  readonly to: number;
  readonly inputSize: number;
  readonly rowNormalization: RowNormalization | null;
  readonly linear: boolean;
  /** Bytes of W_enc's slice as the kernels hold it. */
  readonly weightBytes: number;
}

/** Why a slice could not be read, as the Worker answers it. */
export class SliceError extends Error {
  constructor(
    readonly kind: 'changed' | 'unsupported',
    message: string,
  ) {
    super(message);
  }
}

/** Reads columns [from, to) of `head`'s encoder and lays them out. */
export async function loadSlice(bucket: R2Bucket, head: StoredModel, from: number, to: number): Promise<ShardSlice> {
  const tensors = await StoredTensors.open(bucket, head);
  const weight = tensors?.entry('encoder.weight');
  if (!tensors || !weight || weight.shape.length !== 2) throw new SliceError('unsupported', `model ${head.summary.id} has no float32 or bfloat16 encoder.weight to shard`);
  const { metadata } = tensors.header;
  const config = JSON.parse(metadata.config ?? '{}') as ModelConfig;
  if (!isArchitectureName(config.architecture)) throw new SliceError('unsupported', `model ${head.summary.id} has an unknown architecture`);
  const [n, h] = weight.shape as [number, number];
  if (from < 0 || to > h || from >= to) throw new SliceError('unsupported', `columns [${from}, ${to}) are not within the model's ${h} features`);
  const columns = to - from;
  const architecture: ArchitectureName = config.architecture;
  const module = architectureModule(architecture);
  const shape = { inputSize: n, hiddenSize: columns };

  // The encoder's vectors: b_enc and each per-unit parameter sliced, shared ones ([1]) whole.
  const parameters = { W1: new Float32Array(0), W2: new Float32Array(0), b2: new Float32Array(n) } as unknown as Parameters;
  const reads: Promise<void>[] = [];
  const vector = (key: string, tensor: string) => {
    const entry = tensors.entry(tensor);
    if (!entry) throw new SliceError('unsupported', `model ${head.summary.id} has no ${tensor}`);
    const perUnit = entry.shape.length === 1 && entry.shape[0] === h;
    reads.push(
      (perUnit ? tensors.read(tensor, from, columns) : tensors.readAll(tensor)).then((values) => {
        (parameters as Record<string, Float32Array>)[key] = values;
      }),
    );
  };
  vector('b1', 'encoder.bias');
  if (tensors.entry('decoder.bias')) vector('b2', 'decoder.bias');
  for (const spec of module.parameters({ inputSize: n, hiddenSize: h })) {
    if (spec.encoder && !['W1', 'b1', 'W2', 'b2'].includes(spec.name)) vector(spec.name, spec.file ? `${spec.file.layer}.${spec.file.name}` : `encoder.${spec.name}`);
  }
  const normalization = normalizationOf(tensors, head.summary.id);
  const bytes = tensors.readColumns('encoder.weight', from, to);
  await Promise.all(reads);
  const weights = await bytes;
  const stored =
    weight.dtype === 'BF16'
      ? { dtype: 'bf16' as const, W1: { dtype: 'bf16' as const, bits: new Uint16Array(weights.buffer) }, W2: { dtype: 'f32' as const, values: new Float32Array(0) } }
      : undefined;
  if (!stored) (parameters as Record<string, Float32Array>).W1 = new Float32Array(weights.buffer);
  const { backend } = await loadWorkerBackend('auto');
  const session = EncodingSession.fromState({ shape, config: { ...config, hiddenSize: columns }, parameters, stored, normalization: await normalization } as never, backend);
  if (session === null) throw new SliceError('unsupported', `the ${backend.name} backend has no encode-only session for ${architecture}`);
  const perRow = metadata.normalizationPerRow;
  return {
    session,
    from,
    to,
    inputSize: n,
    rowNormalization: perRow !== undefined && isRowNormalization(perRow) ? perRow : null,
    linear: module.linearOutput,
    weightBytes: session.weightBytes,
  };
}

/**
 * The codes of the slice's columns for raw rows [rows × n], as the whole model's encode computes
 * them (SparseAutoencoder's prepare: the per-row scaling, the input scaling, the finite check).
 */
export function encodeSlice(slice: ShardSlice, inputs: Float32Array, rows: number): Float32Array {
  const n = slice.inputSize;
  let x = inputs;
  if (slice.rowNormalization !== null) x = rowNormalize(slice.rowNormalization, x, rows, n).x;
  const scaled = normalize(slice.session.normalization, x, rows, n, 'data', slice.linear);
  checkFiniteOutput(scaled, n, 'scaled inputs');
  return slice.session.encodeScaled(scaled, rows).data;
}
