/**
 * Where feature statistics live in the R2 bucket MODELS:
 *
 *   features/{modelId}/result.json      the last finished statistics of the model (with the job,
 *                                       dataset and model version they came from)
 *   feature-jobs/{jobId}/state.json     a running job's FeatureStatsState, saved after every slice
 *   feature-jobs/{jobId}/labels.json    the labels sent with the job (one string a dataset row)
 */
import type { FeatureStatsResult, FeatureStatsState } from '../../features/feature-stats.js';

export interface StoredFeatures extends FeatureStatsResult {
  jobId: string;
  datasetId: string;
  modelVersion: number;
  createdAt: string;
}

const resultKey = (modelId: string) => `features/${modelId}/result.json`;
const stateKey = (jobId: string) => `feature-jobs/${jobId}/state.json`;
const labelsKey = (jobId: string) => `feature-jobs/${jobId}/labels.json`;

async function getJson<T>(bucket: R2Bucket, key: string): Promise<T | null> {
  const object = await bucket.get(key);
  return object === null ? null : ((await object.json()) as T);
}

export const readFeatures = (bucket: R2Bucket, modelId: string) => getJson<StoredFeatures>(bucket, resultKey(modelId));
export const writeFeatures = (bucket: R2Bucket, modelId: string, result: StoredFeatures) => bucket.put(resultKey(modelId), JSON.stringify(result));
export const readState = (bucket: R2Bucket, jobId: string) => getJson<FeatureStatsState>(bucket, stateKey(jobId));
export const writeState = (bucket: R2Bucket, jobId: string, state: FeatureStatsState) => bucket.put(stateKey(jobId), JSON.stringify(state));
export const readLabels = (bucket: R2Bucket, jobId: string) => getJson<string[]>(bucket, labelsKey(jobId));
export const writeLabels = (bucket: R2Bucket, jobId: string, labels: readonly string[]) => bucket.put(labelsKey(jobId), JSON.stringify(labels));

/** Deletes a job's working objects (its state and labels), once it has ended. */
export async function deleteJobObjects(bucket: R2Bucket, jobId: string): Promise<void> {
  await bucket.delete([stateKey(jobId), labelsKey(jobId)]);
}

/**
 * Feature j's statistics for GET /v1/models/{id}/features/{j}: from the model's last features job
 * when it was gathered with the model's current version, else null.
 */
export async function featureStatisticsOf(bucket: R2Bucket, modelId: string, modelVersion: number, j: number): Promise<StoredFeatures['features'][number] | null> {
  const stored = await readFeatures(bucket, modelId);
  return stored !== null && stored.modelVersion === modelVersion ? (stored.features[j] ?? null) : null;
}
