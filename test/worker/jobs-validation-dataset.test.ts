/**
 * Jobs that validate on a dataset of their own (validationDatasetId), inside workerd: the job
 * equals the library's `fit(rows, options, { validation })` and `fitStream(train, options,
 * { validation })` over the stored datasets bit for bit (model file, validation losses, best
 * epoch), also when early stopping really ends it and its live run is dropped between slices;
 * the view names the validation dataset; the refusals at submit are 422s naming the field with
 * nothing stored; its rows count in the job's work; a key gets the same answer for
 * validationDatasetId as for datasetId; deleting the validation dataset mid-job fails the job
 * with dataset-not-found, and a corrupt validation shard or a value the model refuses in it with
 * invalid-data naming that dataset.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { loadWorkerBackend } from '../../src/api/backends.js';
import { openDatasetSource } from '../../src/api/datasets/dataset-source.js';
import type { Matrix } from '../../src/data/matrix.js';
import type { ModelConfig, TrainingOptions } from '../../src/model/config.js';
import { SparseAutoencoder, type FitResult } from '../../src/model/sparse-autoencoder.js';
import { app } from '../../src/api/app.js';
import { call, expectProblem, request } from './helpers.js';
import { exportModel, getJob, randomMatrix, submitJob, uploadDataset, waitDroppingRuns, waitForJob, type JobBody } from './jobs-helpers.js';

type ValidatedJob = JobBody & { validationDatasetId: string | null; validationHistory?: number[]; validationLoss: number | null; validationMetrics: unknown; bestEpoch: number | null; stoppedEarly: boolean };

interface LibraryRun {
  result: FitResult;
  file: unknown;
}

/** The library's run on the Worker's backend: `train` runs fit or fitStream on a fresh model. */
async function libraryRun(cols: number, config: Partial<ModelConfig>, training: Partial<TrainingOptions>, train: (model: SparseAutoencoder) => Promise<FitResult> | FitResult): Promise<LibraryRun> {
  const { backend } = await loadWorkerBackend('assemblyscript');
  const model = SparseAutoencoder.create(cols, config, backend, { seed: training.seed });
  try {
    const result = await train(model);
    return { result, file: JSON.parse(JSON.stringify(model.toFile())) };
  } finally {
    model.dispose();
  }
}

/** fitStream over the stored datasets, as the job reads them (openDatasetSource). */
async function streamedRun(trainId: string, validationId: string, config: Partial<ModelConfig>, training: Partial<TrainingOptions>): Promise<LibraryRun> {
  const source = (await openDatasetSource(env.MODELS, trainId))!;
  const validation = (await openDatasetSource(env.MODELS, validationId))!;
  return libraryRun(source.cols, config, training, (model) => model.fitStream(source, training, { validation }));
}

async function expectLibraryRun(done: ValidatedJob, expected: LibraryRun): Promise<void> {
  expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
  expect(done.lossHistory).toEqual(expected.result.lossHistory);
  expect(done.validationHistory).toEqual(expected.result.validationHistory);
  expect(done.validationLoss).toBe(expected.result.validationHistory.at(-1));
  expect(done.validationMetrics).toEqual(JSON.parse(JSON.stringify(expected.result.validationMetrics)));
  expect(done.bestEpoch).toBe(expected.result.bestEpoch);
  expect(await exportModel(done.modelId!)).toEqual(expected.file);
}

/** Every key in the bucket, to see that a refusal stored nothing. */
async function storedKeys(): Promise<string[]> {
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await env.MODELS.list({ cursor });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return keys.sort();
}

describe('jobs with a validation dataset', () => {
  it('should validate on all of its rows after every epoch, as fit and fitStream with { validation } do, and name it in the view', async () => {
    const rows = randomMatrix(200, 8, 3);
    const held: Matrix = randomMatrix(50, 8, 4);
    const datasetId = await uploadDataset(rows);
    const validationDatasetId = await uploadDataset(held);
    const config = { hiddenSize: 12 };
    const training = { epochs: 12, batchSize: 16, seed: 5, learningRate: 0.01 };
    const job = (await submitJob({ datasetId, validationDatasetId, config, training })) as ValidatedJob;
    expect(job.validationDatasetId).toBe(validationDatasetId);
    const done = (await waitForJob(job.id)) as ValidatedJob;
    expect(done.validationDatasetId).toBe(validationDatasetId);
    // Every epoch validated, on the validation dataset's rows (not a split: the job trained on all 200).
    expect(done.validationHistory).toHaveLength(12);
    expect(done.totalSteps).toBe(12 * Math.ceil(200 / 16));
    const inMemory = await libraryRun(8, config, training, (model) => model.fit(rows, training, { validation: held }));
    await expectLibraryRun(done, inMemory);
    await expectLibraryRun(done, await streamedRun(datasetId, validationDatasetId, config, training));
  });

  it('should stop early where fitStream with the validation set stops, also when it loses its live run between slices', async () => {
    // 750 rows of 16 in 47 steps an epoch, validated on 250 others: the library stops at epoch
    // 1,098 keeping epoch 98, and the job's first slice (sized from JOB_FLOPS_PER_MS) ends past
    // epoch 98, so the resumed runs must take the best weights from the checkpoint and read the
    // validation dataset again.
    const datasetId = await uploadDataset(randomMatrix(750, 16, 21));
    const validationDatasetId = await uploadDataset(randomMatrix(250, 16, 22));
    const config = { hiddenSize: 48 };
    const training = { epochs: 1500, batchSize: 16, seed: 8, learningRate: 0.0001, patience: 1000 };
    const job = await submitJob({ datasetId, validationDatasetId, config, training });
    const { drops } = await waitDroppingRuns(job.id, 5);
    const done = (await getJob(job.id)) as ValidatedJob;
    expect(drops).toBeGreaterThan(0);
    expect(done.slices).toBeGreaterThan(1);
    const expected = await streamedRun(datasetId, validationDatasetId, config, training);
    // The premise: early stopping really ended the run, keeping an earlier epoch.
    const ran = expected.result.lossHistory.length;
    expect(ran).toBeLessThan(1500);
    expect(expected.result.bestEpoch).toBeLessThan(ran);
    expect(done).toMatchObject({ stoppedEarly: true, epoch: ran, validationDatasetId });
    expect(done.step).toBeLessThan(done.totalSteps);
    await expectLibraryRun(done, expected);
  });

  it('should refuse an unknown or incomplete dataset, another width and a split beside it, with 422s naming the field and nothing stored', async () => {
    const datasetId = await uploadDataset(randomMatrix(40, 4, 1));
    const narrow = await uploadDataset(randomMatrix(10, 3, 2));
    const fits = await uploadDataset(randomMatrix(10, 4, 3));
    // An upload in parts that has not completed is no dataset yet.
    const open = await call('/v1/datasets/uploads', { json: { rows: 10, cols: 4, type: 'float32' } });
    expect(open.status).toBe(201);
    const incomplete = ((await open.json()) as { id: string }).id;
    const before = await storedKeys();

    for (const validationDatasetId of ['x'.repeat(32), incomplete, 'not an id']) {
      const problem = await expectProblem(await call('/v1/jobs', { json: { datasetId, validationDatasetId, training: { epochs: 2 } } }), 422);
      expect(problem.type).toBe('urn:edge-sae:problem:dataset-not-found');
      expect(problem.errors).toEqual([expect.objectContaining({ pointer: '/validationDatasetId' })]);
    }
    const wide = await expectProblem(await call('/v1/jobs', { json: { datasetId, validationDatasetId: narrow, training: { epochs: 2 } } }), 422);
    expect(wide.errors).toEqual([expect.objectContaining({ pointer: '/validationDatasetId' })]);
    expect(wide.detail).toMatch(/3 columns.*4/);
    // Inline data too: its width is the one the validation dataset must have.
    const inline = await expectProblem(await call('/v1/jobs', { json: { data: [[1, 2, 3, 4]], validationDatasetId: narrow } }), 422);
    expect(inline.errors).toEqual([expect.objectContaining({ pointer: '/validationDatasetId' })]);
    const both = await expectProblem(await call('/v1/jobs', { json: { datasetId, validationDatasetId: fits, training: { epochs: 2, validationSplit: 0.2 } } }), 422);
    expect(both.errors).toEqual([expect.objectContaining({ pointer: '/training/validationSplit' })]);
    expect(both.detail).toMatch(/validationDatasetId/);
    const patience = await expectProblem(await call('/v1/jobs', { json: { datasetId, training: { epochs: 5, patience: 2 } } }), 422);
    expect(patience.errors).toEqual([expect.objectContaining({ pointer: '/training/patience' })]);
    expect(await storedKeys()).toEqual(before);

    // With the validation dataset, patience has its validation rows.
    const accepted = (await submitJob({ datasetId, validationDatasetId: fits, training: { epochs: 5, patience: 2 } })) as ValidatedJob;
    expect((await waitForJob(accepted.id)).status).toBe('succeeded');
  });

  it('should count the validation rows in the job\'s work (MAX_JOB_FLOPS): measured after every epoch', async () => {
    const datasetId = await uploadDataset(randomMatrix(40, 4, 8));
    const validationDatasetId = await uploadDataset(randomMatrix(400, 4, 9));
    // Training: 12·40·4·12·2 ≈ 4.6·10⁴; validating: 4·400·4·12·2 ≈ 1.5·10⁵ more.
    const send = (body: unknown) => app.request(request('/v1/jobs', { json: body }), undefined, { ...env, MAX_JOB_FLOPS: '100000' });
    const training = { epochs: 2 };
    const problem = await expectProblem(await send({ datasetId, validationDatasetId, training }), 413);
    expect(problem.detail).toMatch(/validated on 400 rows/);
    expect((await send({ datasetId, validationDatasetId: datasetId, training })).status).toBe(202);
  });

  it('should give a key the same answer for validationDatasetId as for datasetId', async () => {
    const datasetId = await uploadDataset(randomMatrix(20, 4, 5));
    // Datasets are not owned by keys: starting a job needs jobs:write, whatever datasets:* the key holds.
    const created = await call('/v1/keys', { json: { name: 'jobs only', scopes: ['jobs:write', 'jobs:read'] } });
    expect(created.status).toBe(201);
    const jobsOnly = ((await created.json()) as { secret: string }).secret;
    const reader = ((await (await call('/v1/keys', { json: { name: 'datasets only', scopes: ['datasets:read'] } })).json()) as { secret: string }).secret;
    const unknown = 'u'.repeat(32);
    for (const token of [jobsOnly, reader]) {
      const asTraining = await call('/v1/jobs', { token, json: { datasetId: unknown, training: { epochs: 1 } } });
      const asValidation = await call('/v1/jobs', { token, json: { datasetId, validationDatasetId: unknown, training: { epochs: 1 } } });
      expect(asValidation.status).toBe(asTraining.status);
      const [a, b] = [(await asTraining.json()) as { type: string }, (await asValidation.json()) as { type: string }];
      expect(b.type).toBe(a.type);
    }
    const ok = await call('/v1/jobs', { token: jobsOnly, json: { datasetId, validationDatasetId: datasetId, training: { epochs: 1 } } });
    expect(ok.status).toBe(202);
    expect((await waitForJob(((await ok.json()) as { id: string }).id)).status).toBe('succeeded');
  });

  it('should fail the job with dataset-not-found when its validation dataset is deleted mid-job', async () => {
    const datasetId = await uploadDataset(randomMatrix(2000, 16, 10));
    const validationDatasetId = await uploadDataset(randomMatrix(100, 16, 11));
    const job = await submitJob({ datasetId, validationDatasetId, training: { epochs: 2000, batchSize: 16, seed: 2 } });
    await waitForJob(job.id, (j) => j.step > 0);
    expect((await call(`/v1/datasets/${validationDatasetId}`, { method: 'DELETE' })).status).toBe(204);
    const done = await waitForJob(job.id);
    expect(done.status).toBe('failed');
    expect(done.error).toEqual({ type: 'dataset-not-found', detail: `validation dataset ${validationDatasetId} was deleted while the job was running` });
    expect(done.modelId).toBeNull();
  });

  it('should fail the job with invalid-data naming the validation dataset and row of a value the model refuses', async () => {
    // Sigmoid with normalize none takes values in [0, 1] only; the training rows are, row 7 of the validation rows is not.
    const inRange = (m: Matrix): Matrix => ({ ...m, data: m.data.map((v) => (v + 1) / 4) });
    const datasetId = await uploadDataset(inRange(randomMatrix(40, 4, 12)));
    const held = inRange(randomMatrix(20, 4, 13));
    held.data[6 * 4 + 2] = 2;
    const validationDatasetId = await uploadDataset(held);
    const job = await submitJob({ datasetId, validationDatasetId, config: { normalize: 'none' }, training: { epochs: 3 } });
    const done = await waitForJob(job.id);
    expect(done.status).toBe('failed');
    expect(done.error?.type).toBe('invalid-data');
    expect(done.error?.detail).toMatch(new RegExp(`^validation dataset ${validationDatasetId}, row 7, column 3: `));
  });

  it('should fail the job with invalid-data naming the validation dataset when one of its shards is corrupt', async () => {
    const datasetId = await uploadDataset(randomMatrix(60, 4, 6));
    const validationDatasetId = await uploadDataset(randomMatrix(30, 4, 7));
    // Same length, one byte changed: only the SHA-256 check can tell.
    const key = `dataset-shards/${validationDatasetId}/0.bin`;
    const stored = new Uint8Array(await (await env.MODELS.get(key))!.arrayBuffer());
    stored[5] = stored[5]! ^ 1;
    await env.MODELS.put(key, stored);
    const job = await submitJob({ datasetId, validationDatasetId, config: { hiddenSize: 4 }, training: { epochs: 3, seed: 1 } });
    const done = await waitForJob(job.id);
    expect(done.status).toBe('failed');
    expect(done.error?.type).toBe('invalid-data');
    expect(done.error?.detail).toMatch(new RegExp(`dataset ${validationDatasetId} shard 0: its SHA-256`));
    expect(done.modelId).toBeNull();
  });
});
