/**
 * How jobs fail inside workerd: refused at submit (unknown dataset, bad options, limits, auth),
 * or ended as failed with a reason (dataset deleted mid-job, a loss that turns NaN) — never a
 * hang, never a model saved.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { call, ENCODE, expectProblem } from './helpers.js';
import { randomMatrix, submitJob, uploadDataset, waitForJob } from './jobs-helpers.js';

describe('job failures', () => {
  it('should refuse an unknown dataset id at submit with 422', async () => {
    const problem = await expectProblem(await call('/v1/jobs', { json: { datasetId: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' } }), 422);
    expect(problem.type).toBe('urn:edge-sae:problem:dataset-not-found');
    expect(problem.errors).toEqual([{ pointer: '/datasetId', detail: 'no such dataset' }]);
    await expectProblem(await call('/v1/jobs', { json: { datasetId: '../models/x' } }), 422);
  });

  it('should refuse bad requests before queuing anything', async () => {
    await expectProblem(await call('/v1/jobs', { json: {} }), 422); // neither datasetId nor data
    await expectProblem(await call('/v1/jobs', { json: { datasetId: 'x', data: [[1]] } }), 422);
    let problem = await expectProblem(await call('/v1/jobs', { json: { data: [[1, 2], [3, 'x']] } }), 422);
    expect(problem).toMatchObject({ row: 2, column: 2 });
    problem = await expectProblem(await call('/v1/jobs', { json: { data: [[1, 2]], training: { learningRate: -1 } } }), 422);
    expect(problem.type).toBe('urn:edge-sae:problem:invalid-option');
    problem = await expectProblem(await call('/v1/jobs', { json: { data: [[1, 2]], config: { architecture: 'gated' } } }), 422);
    expect(problem).toMatchObject({ type: 'urn:edge-sae:problem:invalid-option' });
    expect(problem.detail).toMatch(/config\.architecture: "gated" is inference only/);
    problem = await expectProblem(await call('/v1/models', { json: { data: [[1, 2]], config: { architecture: 'gated' } } }), 422);
    expect(problem.detail).toMatch(/config\.architecture: "gated" is inference only/);
    problem = await expectProblem(await call('/v1/jobs', { json: { data: [[1, 2]], training: { epochs: 50_001 } } }), 413);
    expect(problem).toMatchObject({ limit: 'MAX_JOB_EPOCHS' });
    problem = await expectProblem(await call('/v1/jobs', { json: { data: [[1, 2]], config: { hiddenSize: 5000 } } }), 413);
    expect(problem).toMatchObject({ limit: 'MAX_HIDDEN_SIZE' });
    await expectProblem(await call('/v1/jobs', { json: { data: [[1, 2]] }, token: ENCODE }), 403);
    await expectProblem(await call('/v1/jobs', { json: { data: [[1, 2]] }, token: null }), 401);
  });

  it('should fail the job with a reason when its dataset is deleted mid-job', async () => {
    const datasetId = await uploadDataset(randomMatrix(2000, 16, 4));
    const job = await submitJob({ datasetId, training: { epochs: 2000, batchSize: 16, seed: 2 } });
    await waitForJob(job.id, (j) => j.step > 0);
    expect((await call(`/v1/datasets/${datasetId}`, { method: 'DELETE' })).status).toBe(204);
    const done = await waitForJob(job.id);
    expect(done.status).toBe('failed');
    expect(done.error).toEqual({ type: 'dataset-not-found', detail: `dataset ${datasetId} was deleted while the job was running` });
    expect(done.modelId).toBeNull();
    expect(await env.MODELS.head(`jobs/${job.id}/checkpoint.bin`)).toBeNull();
  });

  it('should fail the job with a reason when the loss turns NaN, saving no model', async () => {
    const before = await env.MODELS.list({ prefix: 'models/' });
    const job = await submitJob({
      data: Array.from({ length: 20 }, (_, i) => [i % 3, (i * 7) % 5, i / 20, 1 - i / 20]),
      training: { epochs: 200, optimizer: 'sgd', learningRate: 1e30, seed: 1 },
    });
    const done = await waitForJob(job.id);
    expect(done.status).toBe('failed');
    expect(done.error?.type).toBe('training-diverged');
    expect(done.error?.detail).toMatch(/training diverged at epoch \d+/);
    expect(done.modelId).toBeNull();
    const after = await env.MODELS.list({ prefix: 'models/' });
    expect(after.objects.length).toBe(before.objects.length);
    // Its inline data and checkpoint are cleaned up.
    expect((await env.MODELS.list({ prefix: `jobs/${job.id}/` })).objects).toEqual([]);
  });
});
