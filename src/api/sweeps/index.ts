/**
 * /v1/sweeps: many trainings of one dataset at once, each trial its own job (its own Durable
 * Object, so the trials train in parallel wherever Cloudflare places them). The sweep itself is
 * one R2 object naming its trials' jobs; its status is read from them. See docs/JOBS.md, Sweeps.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { ConfigError, InputError } from '../../errors.js';
import { checkGrid, checkTrials, expandGrid, splitTrial, trialName, type TrialOptions } from '../../sweep/grid.js';
import { DatasetStore } from '../datasets/store.js';
import type { AppEnv, Bindings } from '../env.js';
import { isTerminal, type JobView } from '../jobs/record.js';
import { admitJobs } from '../jobs/running-jobs.js';
import { checkValidationDataset } from '../jobs/validation-dataset.js';
import { unknownDatasetInBody } from '../jobs/dataset-reference.js';
import { jobStub, launchJob, prepareJob, type PreparedJob } from '../jobs/submit.js';
import { limitExceeded, readLimits } from '../limits.js';
import { ApiError, validationHook } from '../problem.js';
import { snapshotStream, type Snapshot } from '../snapshot-stream.js';
import { isId, newId, SWEEP_KEYS } from '../storage-keys.js';
import { sweepView, type SweepRecord } from './record.js';
import { cancelRoute, eventsRoute, getRoute, startRoute } from './routes.js';

function sweepNotFound(id: string): ApiError {
  return new ApiError(404, { type: 'sweep-not-found', title: 'Sweep not found', detail: `No sweep with id "${id.slice(0, 64)}".` });
}

export const sweeps = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(startRoute, async (c) => {
    const body = c.req.valid('json');
    const limits = readLimits(c.env);
    const trials = body.grid !== undefined ? expandGrid(asOption('grid', () => checkGrid(body.grid!))) : asOption('trials', () => checkTrials(body.trials!));
    if (trials.length > limits.maxSweepTrials) throw limitExceeded('maxSweepTrials', limits, `The sweep has ${trials.length} trials; it`);
    const dataset = await new DatasetStore(c.env.MODELS).head(body.datasetId);
    if (!dataset) throw unknownDatasetInBody(body.datasetId);
    // The sweep's validation dataset is checked once here (every trial shares it); a trial whose
    // own options add a split fails alone, as prepareJob refuses it.
    if (body.validationDatasetId !== undefined) await checkSweepValidation(c.env.MODELS, body, dataset.cols);
    if (
      body.metric?.startsWith('validation') &&
      body.validationDatasetId === undefined &&
      !(body.validationSplit! > 0) &&
      !((body.training?.validationSplit ?? 0) > 0) &&
      !trials.some((trial) => Number(trial.validationSplit) > 0)
    ) {
      throw new ConfigError('metric', `${body.metric} ranks by the held-out rows: give validationSplit (e.g. 0.1) or validationDatasetId`);
    }

    const id = newId();
    // Each trial is checked as POST /v1/jobs checks a job; one that is refused fails alone.
    const prepared = await Promise.all(trials.map((trial, i) => prepareTrial(c.env, body, trial, trialName(i, trials.length, trial))));
    const started = prepared.filter((p): p is { job: PreparedJob } => 'job' in p);
    await admitJobs(c.env, started.map((p) => p.job.init.id));
    const record: SweepRecord = {
      id,
      name: body.name ?? null,
      datasetId: body.datasetId,
      validationDatasetId: body.validationDatasetId ?? null,
      metric: body.metric ?? 'fvu',
      createdAt: new Date().toISOString(),
      cancelledAt: null,
      trials: trials.map((trial, i) => {
        const p = prepared[i]!;
        return {
          name: trialName(i, trials.length, trial),
          options: trial,
          jobId: 'job' in p ? p.job.init.id : null,
          totalEpochs: 'job' in p ? p.job.init.training.epochs : 0,
          error: 'error' in p ? p.error : null,
        };
      }),
    };
    await writeRecord(c.env, record);
    const views = await Promise.all(prepared.map((p) => ('job' in p ? launchJob(c.env, p.job) : null)));
    return c.json(sweepView(record, views), 202, { location: `/v1/sweeps/${id}` });
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid('param');
    const record = await readRecord(c.env, id);
    return c.json(sweepView(record, await trialJobs(c.env, record)), 200);
  })
  .openapi(eventsRoute, async (c) => {
    const { id } = c.req.valid('param');
    const record = await readRecord(c.env, id);
    const snapshot = async (): Promise<Snapshot> => {
      const jobs = await trialJobs(c.env, record);
      const view = sweepView(record, jobs);
      const text = JSON.stringify(view);
      // The id moves with every step of any trial and every trial that ends.
      const steps = jobs.reduce((sum, job) => sum + (job?.step ?? 0), 0);
      const ended = jobs.filter((job) => job === null || isTerminal(job.status)).length;
      return { ended: view.status !== 'running', id: `${steps}.${ended}`, data: text, compare: text };
    };
    return snapshotStream(c, await snapshot(), snapshot) as never;
  })
  .openapi(cancelRoute, async (c) => {
    const { id } = c.req.valid('param');
    const record = await readRecord(c.env, id);
    if (record.cancelledAt === null) {
      record.cancelledAt = new Date().toISOString();
      await writeRecord(c.env, record);
    }
    const jobs = await trialJobs(c.env, record);
    const after = await Promise.all(
      record.trials.map((trial, i) => (trial.jobId !== null && jobs[i] && !isTerminal(jobs[i]!.status) ? jobStub(c.env, trial.jobId).cancel() : jobs[i] ?? null)),
    );
    return c.json(sweepView(record, after), 200);
  });

/** A trial's job, checked and ready to start, or why it cannot start. */
async function prepareTrial(
  env: Bindings,
  body: { datasetId: string; validationDatasetId?: string; name?: string; config?: Record<string, unknown>; training?: Record<string, unknown>; validationSplit?: number },
  trial: TrialOptions,
  name: string,
): Promise<{ job: PreparedJob } | { error: { type: string; detail: string } }> {
  const { config, training } = splitTrial(trial);
  try {
    const job = await prepareJob(env, {
      datasetId: body.datasetId,
      ...(body.validationDatasetId === undefined ? {} : { validationDatasetId: body.validationDatasetId }),
      name: `${body.name ?? 'sweep'} ${name}`.slice(0, 200),
      config: { ...body.config, ...config } as never,
      training: { ...body.training, ...(body.validationSplit === undefined ? {} : { validationSplit: body.validationSplit }), ...training } as never,
    });
    return { job };
  } catch (error) {
    if (error instanceof ApiError && error.status < 500) return { error: { type: String(error.problem.type).replace(/^.*:/, ''), detail: error.message } };
    if (error instanceof ConfigError) return { error: { type: 'invalid-option', detail: error.message } };
    if (error instanceof InputError) return { error: { type: 'invalid-input', detail: error.message } };
    throw error;
  }
}

/** The sweep's validationDatasetId: stored, of the dataset's width, not beside the sweep's validationSplit (or its training's). */
async function checkSweepValidation(bucket: R2Bucket, body: { validationDatasetId?: string; validationSplit?: number; training?: { validationSplit?: number } }, cols: number): Promise<void> {
  const shorthand = body.validationSplit ?? 0;
  const [split, field] = shorthand > 0 ? [shorthand, 'validationSplit'] : [body.training?.validationSplit ?? 0, 'training.validationSplit'];
  await checkValidationDataset(bucket, body.validationDatasetId!, cols, split, field);
}

/** Runs a check of the request's grid or trials; its ConfigError names the body field. */
function asOption<T>(field: 'grid' | 'trials', check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof ConfigError && !error.field.startsWith(field)) throw new ConfigError(`${field}.${error.field}`, error.reason);
    throw error;
  }
}

async function trialJobs(env: Bindings, record: SweepRecord): Promise<Array<JobView | null>> {
  return Promise.all(record.trials.map((trial) => (trial.jobId === null ? null : jobStub(env, trial.jobId).status(false))));
}

async function readRecord(env: Bindings, id: string): Promise<SweepRecord> {
  if (!isId(id)) throw sweepNotFound(id);
  const object = await storage('reading', () => env.MODELS.get(SWEEP_KEYS.key(id)));
  if (object === null) throw sweepNotFound(id);
  return storage('reading', async () => (await object.json()) as SweepRecord);
}

async function writeRecord(env: Bindings, record: SweepRecord): Promise<void> {
  await storage('saving', () => env.MODELS.put(SWEEP_KEYS.key(record.id), JSON.stringify(record), { httpMetadata: { contentType: 'application/json' } }));
}

/** One storage operation; its failure is 503 storage-unavailable (nothing of the sweep changed). */
async function storage<T>(what: 'reading' | 'saving', operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    console.error(`edge-sae: sweep storage failed while ${what}`, error);
    throw new ApiError(503, { type: 'storage-unavailable', title: 'Service Unavailable', detail: `The sweep store failed while ${what}. Retry later.`, headers: { 'retry-after': '1' } });
  }
}
