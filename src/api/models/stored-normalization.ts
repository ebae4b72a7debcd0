/**
 * The input scaling of a stored binary model, read by range (./tensor-ranges.ts): its kind from the
 * header's metadata, its vectors (n numbers each) from their tensors. Used by sparse decode and by
 * the encoder shards (src/api/shards/slice.ts).
 */
import { DataError } from '../../errors.js';
import type { Normalization } from '../../model/normalization.js';
import type { StoredTensors } from './tensor-ranges.js';

export async function normalizationOf(tensors: StoredTensors, id: string): Promise<Normalization> {
  const kind = tensors.header.metadata.normalization;
  if (kind === 'minmax') {
    const [min, max] = await Promise.all([tensors.readAll('normalization.min'), tensors.readAll('normalization.max')]);
    return { kind, min, max };
  }
  if (kind === 'standardize') {
    const [mean, std] = await Promise.all([tensors.readAll('normalization.mean'), tensors.readAll('normalization.std')]);
    return { kind, mean, std };
  }
  if (kind === 'none') return { kind };
  throw new DataError(`the stored model ${id} has no normalisation`, { source: 'model' });
}
