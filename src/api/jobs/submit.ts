/**
 * Starting a training job, in two steps shared by POST /v1/jobs and the trials of a sweep:
 * prepareJob checks the request (dataset, options, limits, backend) and builds what the job's
 * Durable Object is given, storing nothing; launchJob stores inline data and starts the job.
 */
import type { z } from '@hono/zod-openapi';
import { toMatrix, type Matrix } from '../../data/index.js';
import { keptRowCount } from '../../data/row-split.js';
import { totalSteps } from '../../jobs/job-trainer.js';
import { checkStreamable } from '../../model/streaming-run.js';
import { checkEarlyStopping } from '../../model/early-stopping.js';
import { checkTrainable, resolveModelConfig, resolveTrainingOptions } from '../../model/config.js';
import { loadWorkerBackend } from '../backends.js';
import { DatasetStore, writeMatrixObject } from '../datasets/store.js';
import type { Bindings } from '../env.js';
import { checkDatasetSize, checkJobWork, checkModelSize, readLimits } from '../limits.js';
import type { JobRequestSchema } from '../schemas.js';
import { inlineDataKey, newId } from '../storage-keys.js';
import type { JobInit, JobView } from './record.js';
import { unknownDatasetInBody } from './dataset-reference.js';
import { checkValidationDataset } from './validation-dataset.js';

export type JobRequest = z.infer<typeof JobRequestSchema>;

export interface PreparedJob {
  readonly init: JobInit;
  /** The request's inline data, stored by launchJob. */
  readonly inline: Matrix | null;
}

export function jobStub(env: Bindings, id: string) {
  return env.JOBS.get(env.JOBS.idFromName(id));
}

/** Checks a job request and builds its JobInit; throws the 4xx a bad one deserves. Stores nothing. */
export async function prepareJob(env: Bindings, body: JobRequest): Promise<PreparedJob> {
  const limits = readLimits(env);
  const id = newId();
  let rows: number;
  let cols: number;
  let dataKey: string;
  let inline: Matrix | null = null;
  let shardCount = 1;
  let shardRows = 0;
  if (body.datasetId !== undefined) {
    const dataset = await new DatasetStore(env.MODELS).head(body.datasetId);
    if (!dataset) throw unknownDatasetInBody(body.datasetId);
    ({ rows, cols, shardCount, shardRows } = dataset);
    dataKey = dataset.key;
  } else {
    inline = toMatrix(body.data, 'data');
    ({ rows, cols } = inline);
    checkDatasetSize(limits, rows, cols);
    dataKey = inlineDataKey(id);
  }
  const config = resolveModelConfig(cols, body.config, { hiddenSize: limits.maxHiddenSize });
  checkTrainable(config);
  const training = resolveTrainingOptions(body.training, { epochs: limits.maxJobEpochs });
  // The validation dataset is streamed a window at a time too, so any size of it can be read;
  // its rows count in the job's work (measured after every epoch).
  const validation = body.validationDatasetId === undefined ? null : await checkValidationDataset(env.MODELS, body.validationDatasetId, cols, training.validationSplit);
  checkModelSize(limits, cols, config.hiddenSize);
  checkJobWork(limits, rows, cols, config.hiddenSize, training.epochs, validation?.rows ?? 0);
  // A job streams its dataset a window of shards at a time (docs/SPEC.md §2.1); the run refuses
  // what a window cannot take, and that is refused now rather than in the job's first slice.
  checkStreamable({ rows, shardRows, shardCount }, training.batchSize);
  checkEarlyStopping(training, validation !== null); // refused at submit, not in the job's first slice
  await loadWorkerBackend(training.backend); // an unavailable backend is refused now, not later
  const init: JobInit = {
    id,
    name: body.name ?? null,
    datasetId: body.datasetId ?? null,
    dataKey,
    validationDatasetId: body.validationDatasetId ?? null,
    validationDataKey: validation?.key ?? null,
    rows,
    cols,
    config,
    training,
    // The steps of the rows it trains on: with validationSplit the kept rows, as its trainer
    // counts them, so the submit answer's totalSteps is the job's from the start.
    totalSteps: totalSteps(training.validationSplit > 0 ? keptRowCount(rows, training.seed, training.validationSplit) : rows, training.batchSize, training.epochs),
  };
  return { init, inline };
}

/** Stores the job's inline data, if any, and starts it in its Durable Object. */
export async function launchJob(env: Bindings, { init, inline }: PreparedJob): Promise<JobView> {
  if (inline) await writeMatrixObject(env.MODELS, init.dataKey, inline, { job: init.id });
  return jobStub(env, init.id).start(init);
}
