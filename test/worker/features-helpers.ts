/** Helpers for the features job tests inside workerd: the job's body, and a small model to gather statistics of. */
import { expect } from 'vitest';
import { call } from './helpers.js';
import { randomMatrix } from './jobs-helpers.js';

/** A features job as GET /v1/feature-jobs/{id} answers it (the fields the tests read). */
export interface FeatureJobBody {
  id: string;
  status: string;
  phase: string;
  step: number;
  steps: number;
  error: { type: string; detail: string } | null;
}

/** A ReLU model of `cols` inputs and `hiddenSize` features, trained on seeded rows; its id. */
export async function featuresModel(cols: number, hiddenSize: number, seed = cols, epochs = 5): Promise<string> {
  const m = randomMatrix(100, cols, seed);
  const data = Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * cols, (i + 1) * cols)));
  const res = await call('/v1/models', { json: { data, config: { hiddenSize, architecture: 'relu' }, training: { epochs, backend: 'assemblyscript' } } });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}
