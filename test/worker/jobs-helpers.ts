/**
 * Helpers for the job tests inside workerd: deterministic data, uploading it, waiting for a job,
 * and the library's one-go result to compare a job's model with.
 */
import { env, runInDurableObject } from 'cloudflare:test';
import type { TrainingJob } from '../../src/api/jobs/durable-object.js';
import { expect } from 'vitest';
import { loadWorkerBackend } from '../../src/api/backends.js';
import type { Matrix } from '../../src/data/matrix.js';
import type { ModelConfig, TrainingOptions } from '../../src/model/config.js';
import { SeededRandom } from '../../src/model/random.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { call } from './helpers.js';

export interface JobBody {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  epoch: number;
  totalEpochs: number;
  step: number;
  totalSteps: number;
  loss: number | null;
  lossHistory?: number[];
  etaSeconds: number | null;
  modelId: string | null;
  error: { type: string; detail: string } | null;
  slices: number;
  [key: string]: unknown;
}

/** rows × cols of seeded values in [-1, 3). */
export function randomMatrix(rows: number, cols: number, seed: number): Matrix {
  const rng = new SeededRandom(seed);
  const data = new Float32Array(rows * cols);
  for (let k = 0; k < data.length; k++) data[k] = rng.nextFloat() * 4 - 1;
  return { rows, cols, data };
}

/** Uploads a matrix as a binary dataset; returns its id. */
export async function uploadDataset(matrix: Matrix): Promise<string> {
  const res = await call(`/v1/datasets?rows=${matrix.rows}&cols=${matrix.cols}`, {
    method: 'POST',
    body: new Uint8Array(matrix.data.buffer, matrix.data.byteOffset, matrix.data.byteLength).slice(),
    headers: { 'content-type': 'application/octet-stream' },
  });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return (JSON.parse(text) as { id: string }).id;
}

export async function submitJob(body: unknown): Promise<JobBody> {
  const res = await call('/v1/jobs', { json: body });
  const text = await res.text();
  expect(res.status, text).toBe(202);
  return JSON.parse(text) as JobBody;
}

export async function getJob(id: string): Promise<JobBody> {
  const res = await call(`/v1/jobs/${id}`);
  expect(res.status).toBe(200);
  return (await res.json()) as JobBody;
}

/** Polls until `done(job)` (default: the job has ended); fails after `timeoutMs`. */
export async function waitForJob(id: string, done = (job: JobBody) => ['succeeded', 'failed', 'cancelled'].includes(job.status), timeoutMs = 50_000): Promise<JobBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await getJob(id);
    if (done(job)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} did not get there in time: ${JSON.stringify({ ...job, lossHistory: undefined })}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The library's model file after `fit` in one go, on the Worker's AssemblyScript backend. */
export async function oneGoFile(matrix: Matrix, config: Partial<ModelConfig>, training: Partial<TrainingOptions>): Promise<unknown> {
  const { backend } = await loadWorkerBackend('assemblyscript');
  const model = SparseAutoencoder.create(matrix.cols, config, backend, { seed: training.seed });
  try {
    model.fit(matrix, training);
    return JSON.parse(JSON.stringify(model.toFile()));
  } finally {
    model.dispose();
  }
}

export async function exportModel(id: string): Promise<Record<string, unknown>> {
  const res = await call(`/v1/models/${id}/export`);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

/**
 * Waits for job `id` to end, evicting its live run (as a restart would) between slices up to
 * `maxDrops` times, so it resumes from its R2 checkpoint; returns the ended job and the drops made.
 */
export async function waitDroppingRuns(id: string, maxDrops: number): Promise<{ done: JobBody; drops: number }> {
  const stub = env.JOBS.get(env.JOBS.idFromName(id));
  let drops = 0;
  for (;;) {
    const now = await getJob(id);
    if (now.status !== 'queued' && now.status !== 'running') return { done: now, drops };
    if (now.step > 0 && drops < maxDrops) {
      await runInDurableObject(stub, (instance: TrainingJob) => instance.drop());
      drops += 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
