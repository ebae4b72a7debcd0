/**
 * Training jobs inside workerd (Durable Object + alarm + R2): a job's model equals the library's
 * one-go result bit for bit, also when the object loses its in-memory run between slices and
 * resumes from the R2 checkpoint; progress, events, cancel, concurrency.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { loadWorkerBackend } from '../../src/api/backends.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { call, ENCODE, expectProblem } from './helpers.js';
import { exportModel, getJob, oneGoFile, randomMatrix, submitJob, uploadDataset, waitDroppingRuns, waitForJob, type JobBody } from './jobs-helpers.js';

describe('jobs', () => {
  it('should train a dataset in slices to exactly the one-go model, and store it for encode', async () => {
    const matrix = randomMatrix(300, 8, 11);
    const datasetId = await uploadDataset(matrix);
    const config = { hiddenSize: 12 };
    const training = { epochs: 40, batchSize: 32, seed: 3, learningRate: 0.01 };
    const job = await submitJob({ datasetId, name: 'job-model', config, training });
    expect(job.id).toMatch(/^[a-z2-7]{32}$/);
    expect(['queued', 'running']).toContain(job.status);
    expect(job).toMatchObject({ totalEpochs: 40, totalSteps: 40 * 10, datasetId, modelId: null, error: null });

    const done = await waitForJob(job.id);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done).toMatchObject({ epoch: 40, step: 400, etaSeconds: 0 });
    expect(done.lossHistory).toHaveLength(40);
    expect(done.loss).toBe(done.lossHistory!.at(-1));
    expect(done.modelId).toMatch(/^[a-z2-7]{32}$/);

    const file = await exportModel(done.modelId!);
    expect(file).toEqual(await oneGoFile(matrix, config, training));
    // The job's view carries the metrics stored in the model, l0, explainedVariance and denseUnits among them.
    const metrics = (done as unknown as { metrics: Record<string, unknown> }).metrics;
    expect(metrics).toEqual((file as { metrics: unknown }).metrics);
    for (const key of ['l0', 'explainedVariance', 'deadUnits', 'denseUnits']) expect(metrics).toHaveProperty(key);

    // The model is an ordinary model: encode (with an encode token) works on it.
    const res = await call(`/v1/models/${done.modelId}/encode`, { token: ENCODE, json: { input: Array.from(matrix.data.subarray(0, 8)) } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { codes: number[][] }).codes[0]).toHaveLength(12);
    // Encode tokens may read job status.
    expect((await call(`/v1/jobs/${job.id}`, { token: ENCODE })).status).toBe(200);
  });

  it('should resume from the checkpoint after losing its in-memory run, with the same weights', async () => {
    // Big enough for several slices of JOB_SLICE_MS (1 s): ≈ 38,000 steps of 16 rows.
    const matrix = randomMatrix(1001, 16, 21);
    const config = { hiddenSize: 48 };
    const training = { epochs: 600, batchSize: 16, seed: 8, learningRate: 0.005 };
    const rows = Array.from({ length: 1001 }, (_, i) => Array.from(matrix.data.subarray(i * 16, i * 16 + 16)));
    const job = await submitJob({ data: rows, config, training });
    const { drops } = await waitDroppingRuns(job.id, 5);
    const done = await getJob(job.id);
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.slices).toBeGreaterThan(1);
    expect(drops).toBeGreaterThan(0);
    expect(done.lossHistory).toHaveLength(600);
    expect(await exportModel(done.modelId!)).toEqual(await oneGoFile(matrix, config, training));
  });

  it('should hold out validationSplit of the rows, measure them every epoch across lost runs, and equal the library', async () => {
    const matrix = randomMatrix(400, 8, 31);
    const datasetId = await uploadDataset(matrix);
    const config = { hiddenSize: 10 };
    const training = { epochs: 30, batchSize: 16, seed: 5, learningRate: 0.01, validationSplit: 0.25 };
    const job = await submitJob({ datasetId, config, training });
    await waitDroppingRuns(job.id, 3);
    const done = (await getJob(job.id)) as JobBody & { validationHistory: number[]; validationLoss: number; validationMetrics: { rows: number; loss: number } };
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');

    const { backend } = await loadWorkerBackend('assemblyscript');
    const model = SparseAutoencoder.create(8, config, backend, { seed: 5 });
    const expected = model.fit(matrix, training);
    expect(done.validationHistory).toEqual(expected.validationHistory);
    expect(done.validationLoss).toBe(expected.validationHistory.at(-1));
    expect(done.validationMetrics.rows).toBe(expected.validationMetrics!.rows);
    expect(done.totalSteps).toBe(30 * Math.ceil((400 - expected.validationMetrics!.rows) / 16));
    expect((await exportModel(done.modelId!)).encoder).toEqual(JSON.parse(JSON.stringify(model.toFile())).encoder);
    model.dispose();
    // Early stopping (patience) in jobs: jobs-early-stopping.test.ts.
  });

  it('should run two jobs at once without disturbing each other', async () => {
    const a = randomMatrix(200, 5, 1);
    const b = randomMatrix(150, 7, 2);
    const [idA, idB] = await Promise.all([uploadDataset(a), uploadDataset(b)]);
    const trainA = { epochs: 60, batchSize: 20, seed: 1, learningRate: 0.01 };
    const trainB = { epochs: 50, batchSize: 0, seed: 2, optimizer: 'sgd', learningRate: 0.05 };
    const [jobA, jobB] = await Promise.all([
      submitJob({ datasetId: idA, config: { hiddenSize: 7 }, training: trainA }),
      submitJob({ datasetId: idB, config: { hiddenSize: 4, reduction: 'mean' }, training: trainB }),
    ]);
    const [doneA, doneB] = await Promise.all([waitForJob(jobA.id), waitForJob(jobB.id)]);
    expect(doneA.status).toBe('succeeded');
    expect(doneB.status).toBe('succeeded');
    expect(await exportModel(doneA.modelId!)).toEqual(await oneGoFile(a, { hiddenSize: 7 }, trainA));
    expect(await exportModel(doneB.modelId!)).toEqual(await oneGoFile(b, { hiddenSize: 4, reduction: 'mean' }, trainB as never));
  });

  it('should stream progress as server-sent events until the job ends', async () => {
    const matrix = randomMatrix(100, 4, 5);
    const datasetId = await uploadDataset(matrix);
    const job = await submitJob({ datasetId, training: { epochs: 30, batchSize: 10, seed: 4 } });
    const res = await call(`/v1/jobs/${job.id}/events`, { token: ENCODE });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await res.text(); // the stream closes when the job ends
    const events = text
      .split('\n\n')
      .filter((block) => block.trim() !== '')
      .map((block) => {
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        return { event, data: JSON.parse(data ?? 'null') as JobBody };
      });
    const last = events.at(-1)!;
    expect(last.event).toBe('end');
    expect(last.data).toMatchObject({ status: 'succeeded', epoch: 30 });
    expect(last.data.lossHistory).toHaveLength(30);
    for (const e of events.slice(0, -1)) {
      expect(e.event).toBe('progress');
      expect(e.data).not.toHaveProperty('lossHistory');
    }
  });

  it('should cancel a running job: no model, no further progress', async () => {
    const matrix = randomMatrix(2000, 16, 9);
    const datasetId = await uploadDataset(matrix);
    const job = await submitJob({ datasetId, training: { epochs: 2000, batchSize: 16, seed: 1 } });
    const running = await waitForJob(job.id, (j) => j.step > 0);
    expect(running.status).toBe('running');
    expect(running.etaSeconds).toBeGreaterThan(0);

    const res = await call(`/v1/jobs/${job.id}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    const cancelled = (await res.json()) as JobBody;
    expect(cancelled.status).toBe('cancelled');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const later = await getJob(job.id);
    expect(later).toMatchObject({ status: 'cancelled', modelId: null, step: cancelled.step });
    // Cancelling again answers the same; the checkpoint is gone.
    expect((await call(`/v1/jobs/${job.id}`, { method: 'DELETE' })).status).toBe(200);
    expect(await env.MODELS.head(`jobs/${job.id}/checkpoint.bin`)).toBeNull();
  });

  it('should refuse to cancel a finished job (409), and 404 unknown jobs', async () => {
    const job = await submitJob({ data: [[0, 1], [1, 0], [0.5, 0.5]], training: { epochs: 3 } });
    const done = await waitForJob(job.id);
    expect(done.status).toBe('succeeded');
    await expectProblem(await call(`/v1/jobs/${job.id}`, { method: 'DELETE' }), 409);
    await expectProblem(await call('/v1/jobs/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'), 404);
    await expectProblem(await call('/v1/jobs/not-an-id'), 404);
    await expectProblem(await call('/v1/jobs/not-an-id/events'), 404);
    await expectProblem(await call('/v1/jobs/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', { method: 'DELETE' }), 404);
  });
});
