/**
 * Sweeps inside workerd: a 2 × 2 grid runs four jobs at once (their runs overlap), each trial's
 * model equals the library's training with its options and seed, the ranking follows the
 * metric; a trial that diverges or whose options are refused fails alone; cancel stops every
 * unfinished trial; the caps are 413 / 429 problems naming the limit.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { isHeldOut } from '../../src/data/row-split.js';
import { app } from '../../src/api/app.js';
import { call, expectProblem, request } from './helpers.js';
import { exportModel, getJob, oneGoFile, randomMatrix, uploadDataset } from './jobs-helpers.js';
import { startSweep, waitForSweep, type SweepBody } from './sweeps-helpers.js';

describe('sweeps', () => {
  it('should run a 2 × 2 grid as four concurrent jobs, each equal to the library, ranked by the metric', async () => {
    // Each trial ≈ 1–2·10⁹ floating-point operations: more than one slice of JOB_SLICE_MS.
    const matrix = randomMatrix(1000, 16, 5);
    const datasetId = await uploadDataset(matrix);
    const training = { epochs: 200, batchSize: 16, seed: 9 };
    const sweep = await startSweep({ datasetId, name: 'grid', training, grid: { hiddenSize: [32, 48], learningRate: [0.01, 0.003] } });
    expect(sweep.trials.map((t) => t.name)).toEqual([
      '1-hiddenSize=32,learningRate=0.01',
      '2-hiddenSize=32,learningRate=0.003',
      '3-hiddenSize=48,learningRate=0.01',
      '4-hiddenSize=48,learningRate=0.003',
    ]);
    expect(sweep.trials.every((t) => t.jobId !== null && ['queued', 'running'].includes(t.status))).toBe(true);

    const done = await waitForSweep(sweep.id);
    expect(done.status).toBe('finished');
    expect(done.trials.map((t) => t.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    const values = done.trials.map((t) => t.value!);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(done.trials.map((t) => t.rank)).toEqual([1, 2, 3, 4]);
    expect(done.best).toBe(done.trials[0]!.name);
    expect(done.trials[0]!.value).toBe(done.trials[0]!.metrics!.fvu);

    // The four ran at once: every one started before any finished.
    const jobs = await Promise.all(done.trials.map((t) => getJob(t.jobId!)));
    const lastStart = Math.max(...jobs.map((j) => Date.parse(j.startedAt as string)));
    const firstEnd = Math.min(...jobs.map((j) => Date.parse(j.finishedAt as string)));
    expect(lastStart).toBeLessThan(firstEnd);
    expect(jobs.every((j) => j.slices > 1)).toBe(true);

    for (const trial of done.trials) {
      const expected = await oneGoFile(matrix, { hiddenSize: trial.options.hiddenSize as number }, { ...training, learningRate: trial.options.learningRate as number });
      expect(await exportModel(trial.modelId!), trial.name).toEqual(expected);
    }
  });

  it('should rank by the held-out rows with validationSplit, and refuse a validation metric without one', async () => {
    const matrix = randomMatrix(300, 6, 8);
    const datasetId = await uploadDataset(matrix);
    const body = { datasetId, training: { epochs: 20, batchSize: 16, seed: 2 }, grid: { hiddenSize: [4, 12] }, metric: 'validationLoss' };
    const refused = await call('/v1/sweeps', { json: body });
    expect((await expectProblem(refused, 422)).detail).toMatch(/validationLoss ranks by the held-out rows: give validationSplit/);

    const sweep = await startSweep({ ...body, validationSplit: 0.2 });
    const done = await waitForSweep(sweep.id);
    expect(done.trials.map((t) => t.status)).toEqual(['succeeded', 'succeeded']);
    const trials = done.trials as unknown as { value: number; rank: number; validationMetrics: { loss: number; rows: number } }[];
    for (const t of trials) expect(t.value).toBe(t.validationMetrics.loss);
    expect(trials[0]!.value).toBeLessThanOrEqual(trials[1]!.value);
    const held = Array.from({ length: 300 }, (_, i) => isHeldOut(i, 2, 0.2)).filter(Boolean).length;
    expect(trials.every((t) => t.validationMetrics.rows === held)).toBe(true);
  });

  it('should fail a diverging trial and a refused one alone, and stream the sweep to its end', async () => {
    const datasetId = await uploadDataset(randomMatrix(64, 6, 3));
    const sweep = await startSweep({
      datasetId,
      config: { hiddenSize: 8 },
      training: { epochs: 20, optimizer: 'sgd' },
      metric: 'loss',
      trials: [{ learningRate: 0.1 }, { learningRate: 1e38 }, { architecture: 'topk', k: 50 }, { architecture: 'gated' }],
    });
    const refused = sweep.trials.find((t) => t.options.k === 50)!;
    expect(refused).toMatchObject({ jobId: null, status: 'failed', rank: null });
    expect(refused.error).toMatchObject({ type: 'invalid-option' });
    expect(refused.error!.detail).toMatch(/k.*50/);
    const gated = sweep.trials.find((t) => t.options.architecture === 'gated')!;
    expect(gated).toMatchObject({ jobId: null, status: 'failed', rank: null, error: { type: 'invalid-option' } });
    expect(gated.error!.detail).toMatch(/"gated" is inference only/);

    const events = await (await call(`/v1/sweeps/${sweep.id}/events`)).text();
    const last = events.trim().split('\n\n').at(-1)!;
    expect(last).toMatch(/^event: end\n/);
    const end = JSON.parse(last.split('\n').find((line) => line.startsWith('data: '))!.slice(6)) as SweepBody;
    expect(end.status).toBe('finished');
    expect(end.metric).toBe('loss');
    expect(end.trials.map((t) => [t.options.learningRate ?? t.options.k ?? t.options.architecture, t.status, t.rank])).toEqual([
      [0.1, 'succeeded', 1],
      [1e38, 'failed', null],
      [50, 'failed', null],
      ['gated', 'failed', null],
    ]);
    expect(end.trials[1]!.error!.type).toBe('training-diverged');
    expect(end.best).toBe(end.trials[0]!.name);
  });

  it('should cancel every unfinished trial', async () => {
    const datasetId = await uploadDataset(randomMatrix(2000, 32, 4));
    const sweep = await startSweep({ datasetId, training: { epochs: 5000, batchSize: 8 }, grid: { hiddenSize: [64, 96] } });
    const res = await call(`/v1/sweeps/${sweep.id}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    const cancelled = (await res.json()) as SweepBody;
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.trials.map((t) => t.status)).toEqual(['cancelled', 'cancelled']);
    expect((await getJob(sweep.trials[0]!.jobId!)).status).toBe('cancelled');
    // Cancelling again answers the same.
    expect(((await (await call(`/v1/sweeps/${sweep.id}`, { method: 'DELETE' })).json()) as SweepBody).status).toBe('cancelled');
  });

  it('should refuse more trials than MAX_SWEEP_TRIALS (413) and more running jobs than MAX_RUNNING_JOBS (429), naming the limit', async () => {
    const datasetId = await uploadDataset(randomMatrix(20, 4, 6));
    const many = await expectProblem(await call('/v1/sweeps', { json: { datasetId, grid: { hiddenSize: [1, 2, 3, 4, 5, 6, 7, 8, 9], seed: [1, 2] } } }), 413);
    expect(many).toMatchObject({ type: 'urn:edge-sae:problem:limit-exceeded', limit: 'MAX_SWEEP_TRIALS', value: 16 });
    expect(many.detail).toMatch(/18 trials.*MAX_SWEEP_TRIALS = 16/);

    const tight = { ...env, RATE_LIMITER: undefined, MAX_RUNNING_JOBS: '2' };
    // Trials long enough to be running still when the next request comes (they are cancelled).
    const slow = await uploadDataset(randomMatrix(2000, 32, 8));
    const body = { datasetId: slow, training: { epochs: 5000, batchSize: 8 }, grid: { hiddenSize: [62, 63, 64] } };
    const res = await app.request(request('/v1/sweeps', { json: body }), undefined, tight);
    const problem = await expectProblem(res, 429);
    expect(problem).toMatchObject({ type: 'urn:edge-sae:problem:too-many-jobs', limit: 'MAX_RUNNING_JOBS', value: 2 });
    expect(res.headers.get('retry-after')).toBe('30');
    // Two fit; a third job then does not, until one ends.
    const two = await app.request(request('/v1/sweeps', { json: { ...body, grid: { hiddenSize: [62, 63] } } }), undefined, tight);
    expect(two.status).toBe(202);
    const running = (await two.json()) as SweepBody;
    await expectProblem(await app.request(request('/v1/jobs', { json: { datasetId, training: { epochs: 10 } } }), undefined, tight), 429);
    await call(`/v1/sweeps/${running.id}`, { method: 'DELETE' });
    expect((await app.request(request('/v1/jobs', { json: { datasetId, training: { epochs: 10 } } }), undefined, tight)).status).toBe(202);
  });

  it.each([
    [{ grid: { widht: [1] } }, /grid: "widht" is not an option a sweep can vary/],
    [{ grid: { hiddenSize: [0] } }, /grid\.hiddenSize: must be an integer from 1/],
    [{ trials: [{ learningRate: -1 }] }, /trials\[0\]\.learningRate: must be greater than 0/],
    [{ grid: { hiddenSize: [4] }, trials: [{ hiddenSize: 4 }] }, /exactly one of "grid" or "trials"/],
  ])('should refuse a bad grid or trials with 422 naming it: %j', async (body, message) => {
    const datasetId = await uploadDataset(randomMatrix(10, 3, 7));
    const problem = await expectProblem(await call('/v1/sweeps', { json: { datasetId, ...body } }), 422);
    expect(problem.detail).toMatch(message);
  });

  it('should answer 422 for an unknown dataset and 404 for an unknown sweep', async () => {
    const problem = await expectProblem(await call('/v1/sweeps', { json: { datasetId: 'a'.repeat(32), grid: { hiddenSize: [4] } } }), 422);
    expect(problem.type).toBe('urn:edge-sae:problem:dataset-not-found');
    expect((await expectProblem(await call(`/v1/sweeps/${'b'.repeat(32)}`), 404)).type).toBe('urn:edge-sae:problem:sweep-not-found');
    await expectProblem(await call('/v1/sweeps/nope/events'), 404);
  });
});
