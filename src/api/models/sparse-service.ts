/**
 * The routes that need only a few rows of a model's decoder: GET /v1/models/{id}/features/{j} and
 * POST /v1/models/{id}/decode with sparse codes. A binary stored model is read by ranges
 * (./tensor-ranges.ts): its header, the small vectors, and the decoder rows named, never the whole
 * file; a model stored as JSON (before the binary form) is read whole through the isolate's cache.
 */
import { architectureModule, isArchitectureName } from '../../architectures/registry.js';
import type { Matrix } from '../../data/matrix.js';
import { DataError, ModelOutputError } from '../../errors.js';
import type { Normalization } from '../../model/normalization.js';
import { checkFiniteOutput } from '../../model/output-check.js';
import { fromFeatureLists, SparseDecoder, type SparseCodes } from '../../model/sparse-codes.js';
import { decoderOutput } from '../../model/sparse-decode.js';
import { checkDataSize } from '../limits.js';
import { ApiError } from '../problem.js';
import { modelNotFound, type ModelService } from './service.js';
import { StoredTensors } from './tensor-ranges.js';
import { normalizationOf } from './stored-normalization.js';

export interface FeatureAnswer {
  feature: number;
  decoder: number[];
  encoderBias: number;
  threshold?: number;
}

/** Feature j (a whole number in canonical decimal, checked by the route's schema): below h, else 404 (no such feature). */
function featureNumber(j: number, hiddenSize: number, id: string): number {
  if (j >= hiddenSize) {
    throw new ApiError(404, {
      type: 'feature-not-found',
      title: 'Feature not found',
      detail: `Model ${id} has ${hiddenSize} features (0 to ${hiddenSize - 1}); there is no feature ${j}.`,
    });
  }
  return j;
}

/** Feature j's decoder row, encoder bias and (jumprelu) threshold. */
export async function readFeature(service: ModelService, bucket: R2Bucket, id: string, raw: number): Promise<FeatureAnswer> {
  const head = await service.store.head(id);
  if (!head) throw modelNotFound(id);
  const { hiddenSize: h } = head.summary;
  const j = featureNumber(raw, h, id);
  const opened = await StoredTensors.open(bucket, head);
  // An architecture that names its tensors otherwise (gated's encoder.b_gate) is read whole.
  const tensors = opened && opened.entry('decoder.weight') && opened.entry('encoder.bias') ? opened : null;
  if (tensors) {
    // θ is one per unit (jumprelu, [h]) or one for every unit (batchtopk, matryoshka, [1]).
    const theta = tensors.entry('encoder.threshold');
    // a decoder row's width: inputSize, or a transcoder's d_out (the tensor's own shape says which)
    const n = tensors.entry('decoder.weight')!.shape[1]!;
    const [decoder, bias, threshold] = await Promise.all([
      tensors.read('decoder.weight', j * n, n),
      tensors.read('encoder.bias', j, 1),
      theta ? tensors.read('encoder.threshold', theta.shape[0] === 1 ? 0 : j, 1) : Promise.resolve(null),
    ]);
    return { feature: j, decoder: Array.from(decoder), encoderBias: bias[0]!, ...(threshold ? { threshold: threshold[0]! } : {}) };
  }
  return service.withModel(id, 'auto', (model) => {
    const parameters = model.getParameters();
    const n = model.outputSize;
    return {
      feature: j,
      decoder: Array.from(parameters.W2.subarray(j * n, (j + 1) * n)),
      encoderBias: parameters.b1[j]!,
      ...(parameters.theta ? { threshold: parameters.theta[parameters.theta.length === 1 ? 0 : j]! } : {}),
    };
  });
}

/**
 * decode of sparse codes (`features`) reading only the decoder rows they name, or of dense codes
 * (`codes`, through the cached model: a dense row touches every decoder row anyway).
 */
export async function decodeCodes(
  service: ModelService,
  bucket: R2Bucket,
  id: string,
  body: { features?: unknown; codes?: unknown } | { sparse: SparseCodes } | { dense: Matrix },
): Promise<Matrix> {
  const dense = 'dense' in body ? body.dense : 'codes' in body && body.codes !== undefined ? body.codes : undefined;
  if (dense !== undefined) {
    return service.withModel(id, 'auto', (model) => {
      const rows = Array.isArray(dense) ? dense.length : (dense as Matrix).rows;
      checkDataSize(service.limits, rows, model.hiddenSize, false);
      return model.decode(dense as number[][] | Matrix);
    });
  }
  const head = await service.store.head(id);
  if (!head) throw modelNotFound(id);
  const { inputSize, hiddenSize: h } = head.summary;
  const sparse = 'sparse' in body ? checkedSparse(body.sparse, h) : fromFeatureLists((body as { features?: unknown }).features, h);
  const opened = await StoredTensors.open(bucket, head);
  // The answer is rows × n numbers (n: the decoder bias's width, a transcoder's d_out): bounded as an encode request's rows are.
  const n = opened?.entry('decoder.bias')?.shape[0] ?? inputSize;
  checkDataSize(service.limits, sparse.rows, n, false);
  const kind = opened?.header.metadata.normalization;
  const named = ['decoder.weight', 'decoder.bias', ...(kind === 'minmax' ? ['normalization.min', 'normalization.max'] : kind === 'standardize' ? ['normalization.mean', 'normalization.std'] : [])];
  // A JSON body, another dtype, or tensors named otherwise: the model read whole.
  const tensors = opened && named.every((name) => opened.entry(name)) ? opened : null;
  if (!tensors) return service.withModel(id, 'auto', (model) => model.decodeSparse(sparse));
  const linear = linearOf(tensors.header.metadata, id);
  const [bias, normalization] = await Promise.all([tensors.readAll('decoder.bias'), normalizationOf(tensors, id)]);
  const decoder = new SparseDecoder(sparse, n, bias);
  await tensors.streamRows('decoder.weight', decoder.features, service.limits.decodeRangeReads, (j, row) => decoder.add(j, row));
  return finish(decoder, sparse, n, linear, normalization, id);
}

/** Binary sparse codes checked as the JSON ones are: h as the model's, indices below it, each once a row, values finite. */
function checkedSparse(sparse: SparseCodes, hiddenSize: number): SparseCodes {
  if (sparse.cols !== hiddenSize) throw new DataError(`the binary codes range over ${sparse.cols} features but the model has ${hiddenSize}`, { source: 'body' });
  const rows = [];
  for (let i = 0; i < sparse.rows; i++) {
    const from = sparse.offsets[i]!;
    const to = sparse.offsets[i + 1]!;
    rows.push({ indices: Array.from(sparse.indices.subarray(from, to)), values: Array.from(sparse.values.subarray(from, to)) });
  }
  return fromFeatureLists(rows, hiddenSize, 'body rows');
}

function finish(decoder: SparseDecoder, sparse: SparseCodes, n: number, linear: boolean, normalization: Normalization, id: string): Matrix {
  const data = decoderOutput(decoder.finish(), sparse.rows, n, linear, normalization);
  try {
    checkFiniteOutput(data, n, 'outputs');
  } catch (error) {
    if (error instanceof ModelOutputError) throw error.forModel(id);
    throw error;
  }
  return { rows: sparse.rows, cols: n, data };
}

/** Whether the stored model's decoder is linear (its architecture's module says). */
function linearOf(metadata: Record<string, string>, id: string): boolean {
  let architecture: unknown = 'sigmoid';
  try {
    architecture = (JSON.parse(metadata.config ?? '{}') as { architecture?: unknown }).architecture ?? 'sigmoid';
  } catch {
    throw new DataError(`the stored model ${id} has a config that is not JSON`, { source: 'model' });
  }
  if (typeof architecture !== 'string' || !isArchitectureName(architecture)) throw new DataError(`the stored model ${id} has an unknown architecture`, { source: 'model' });
  return architectureModule(architecture).linearOutput;
}
