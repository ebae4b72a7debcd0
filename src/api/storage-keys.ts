/**
 * Ids, and where each thing lives in the R2 bucket MODELS: the one place for both. Models,
 * datasets and jobs share one id form, 32 base32 characters of 160 random bits (docs/API.md, Ids).
 *
 *   models/{id}.json            a model file; customMetadata = its summary (model-store.ts)
 *   datasets/{id}.json          a dataset's manifest; customMetadata = its summary (datasets/store.ts)
 *   datasets/{id}.f32           a dataset of the first layout: all its float32 cells in one object
 *   dataset-shards/{id}/{i}.bin shard i of a dataset (or part i of its upload, before it completes)
 *   dataset-shards/{id}/{i}.labels.json  the labels of shard i's rows, when the dataset has labels
 *   jobs/{id}/checkpoint.bin    a job's checkpoint (jobs/durable-object.ts)
 *   jobs/{id}/data.f32          a job's inline data (data sent in the POST /v1/jobs body)
 *   sweeps/{id}.json            a sweep: its options and its trials' job ids (sweeps/record.ts)
 */

/** 20 random bytes → 32 base32 characters: 160 unguessable bits. */
const ID_BYTES = 20;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const ID_PATTERN = /^[a-z2-7]{32}$/;

/** A new id (of a model, dataset or job) from crypto.getRandomValues. */
export function newId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(ID_BYTES));
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  return out;
}

/** Whether `id` has the form of an id (so it can name no other key). */
export function isId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** A kind of object stored one per id under a prefix, with a suffix. */
export interface KeyFamily {
  /** The list prefix of every object of this kind. */
  readonly prefix: string;
  /** The key of one id's object. */
  key(id: string): string;
  /** The id of a listed key of this kind. */
  idOf(key: string): string;
}

function family(prefix: string, suffix: string): KeyFamily {
  return {
    prefix,
    key: (id) => `${prefix}${id}${suffix}`,
    idOf: (key) => key.slice(prefix.length, key.length - suffix.length),
  };
}

/** Model files. */
export const MODEL_KEYS = family('models/', '.json');

/** Sweeps' records. */
export const SWEEP_KEYS = family('sweeps/', '.json');

/** Datasets' manifests (docs/JOBS.md, Datasets): a dataset exists when its manifest does. */
export const DATASET_KEYS = family('datasets/', '.json');

/** Datasets stored before shards: one object of float32 cells, shape in customMetadata. Read, never written. */
export const LEGACY_DATASET_KEYS = family('datasets/', '.f32');

/** The prefix of a dataset's shards (and of its upload's parts, which become them). */
export function shardPrefix(datasetId: string): string {
  return `dataset-shards/${datasetId}/`;
}

/** R2 key of shard `index` (0-based) of a dataset. */
export function shardKey(datasetId: string, index: number): string {
  return `${shardPrefix(datasetId)}${index}.bin`;
}

/** R2 key of the labels of shard `index`'s rows (under the shard prefix, so deleting the shards deletes them). */
export function labelShardKey(datasetId: string, index: number): string {
  return `${shardPrefix(datasetId)}${index}.labels.json`;
}

/** The prefix of everything one job stores (deleted when the job ends). */
function jobPrefix(jobId: string): string {
  return `jobs/${jobId}/`;
}

/** R2 key of a job's checkpoint. */
export function checkpointKey(jobId: string): string {
  return `${jobPrefix(jobId)}checkpoint.bin`;
}

/** R2 key of a job's inline data (data sent in the POST /v1/jobs body). */
export function inlineDataKey(jobId: string): string {
  return `${jobPrefix(jobId)}data.f32`;
}
