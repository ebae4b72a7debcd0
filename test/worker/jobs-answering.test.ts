/**
 * A running job answers (issue 24, item 3), inside workerd: a job over a dataset of 8 shards
 * (more than a window), whose final metrics pass costs about a slice's budget, is polled without
 * pause from submit to its end. Its final metrics pass runs in slices after the last step's (seen
 * as the job running with every step taken), every status read answers within the bound
 * docs/JOBS.md states, and a cancel sent during the metrics pass is
 * answered within it too and leaves no model.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { call } from './helpers.js';
import { submitJob, type JobBody } from './jobs-helpers.js';

/** uint8 rows of 256 columns: shards of 4,096 rows; 8 shards = 32,768 rows (8 MiB as bytes). */
const COLS = 256;
const SHARD_ROWS = 4096;
const SHARDS = 8;
/** The bound docs/JOBS.md states for a status or cancel answer while a job runs (JOB_SLICE_MS = 1 s). */
const ANSWER_BOUND_MS = 1000;

async function uploadBytes(): Promise<string> {
  const start = await call('/v1/datasets/uploads', { json: { rows: SHARDS * SHARD_ROWS, cols: COLS, type: 'uint8', scale: 1 / 255 } });
  expect(start.status).toBe(201);
  const { id } = (await start.json()) as { id: string };
  for (let n = 0; n < SHARDS; n++) {
    const bytes = Uint8Array.from({ length: SHARD_ROWS * COLS }, (_, i) => (i * 13 + n * 101 + ((i / COLS) | 0) * 7) % 256);
    const res = await call(`/v1/datasets/uploads/${id}/parts/${n}`, { method: 'PUT', body: bytes, headers: { 'content-type': 'application/octet-stream' } });
    expect(res.status).toBe(200);
  }
  expect((await call(`/v1/datasets/uploads/${id}/complete`, { method: 'POST' })).status).toBe(201);
  return id;
}

/** One status read and how long its answer took. */
async function timedStatus(id: string): Promise<{ job: JobBody; ms: number }> {
  const started = Date.now();
  const res = await call(`/v1/jobs/${id}`);
  const ms = Date.now() - started;
  expect(res.status).toBe(200);
  return { job: (await res.json()) as JobBody, ms };
}

// hiddenSize 64: one shard's metrics (forward and loss terms of 4,096 rows) is one piece of compute,
// and the 8 of them are more than 70 % of a 1 s slice on this hardware.
const TRAINING = { config: { hiddenSize: 64 }, training: { epochs: 1, batchSize: 512, seed: 4 } };

describe('a running job answers', () => {
  let datasetId: string | null = null;
  const dataset = async () => (datasetId ??= await uploadBytes());

  it('should answer every status read within the bound while it runs, its final metrics pass cut into slices', { timeout: 240_000 }, async () => {
    const job = await submitJob({ datasetId: await dataset(), ...TRAINING });
    const latencies: number[] = [];
    const measuringSlices = new Set<number>();
    let last: JobBody;
    for (;;) {
      const { job: now, ms } = await timedStatus(job.id);
      latencies.push(ms);
      last = now;
      if (now.status === 'running' && now.step === now.totalSteps) measuringSlices.add(now.slices);
      if (!['queued', 'running'].includes(now.status)) break;
    }
    latencies.sort((a, b) => a - b);
    console.log(JSON.stringify({ event: 'jobs-answering.status', reads: latencies.length, medianMs: latencies[latencies.length >> 1], maxMs: latencies.at(-1), slices: last.slices, measuringSlices: measuringSlices.size }));
    expect(last.status).toBe('succeeded');
    expect((last.metrics as { rows: number }).rows).toBe(SHARDS * SHARD_ROWS);
    // The pass runs in slices of its own after the last step's (seen: the job running with every
    // step taken; on this test's data several, how many depends on the hardware's speed).
    expect(measuringSlices.size).toBeGreaterThanOrEqual(1);
    expect(latencies.at(-1)!).toBeLessThan(ANSWER_BOUND_MS);
  });

  it('should answer a cancel sent during the final metrics pass within the bound, and save no model', { timeout: 240_000 }, async () => {
    const job = await submitJob({ datasetId: await dataset(), ...TRAINING });
    for (;;) {
      const { job: now } = await timedStatus(job.id);
      if (now.status === 'running' && now.step === now.totalSteps) break;
      expect(['queued', 'running']).toContain(now.status);
    }
    const models = async () => (await env.MODELS.list({ prefix: 'models/' })).objects.length;
    const modelsBefore = await models();
    const started = Date.now();
    const res = await call(`/v1/jobs/${job.id}`, { method: 'DELETE' });
    const ms = Date.now() - started;
    expect(res.status).toBe(200);
    expect(((await res.json()) as JobBody).status).toBe('cancelled');
    expect(ms).toBeLessThan(ANSWER_BOUND_MS);
    // The slice that was running stops at its next yield: nothing is saved after the cancel.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const after = await timedStatus(job.id);
    expect(after.job.status).toBe('cancelled');
    expect(after.job.modelId).toBeNull();
    expect(await models()).toBe(modelsBefore);
    expect((await env.MODELS.list({ prefix: `jobs/${job.id}/` })).objects).toEqual([]);
  });
});
