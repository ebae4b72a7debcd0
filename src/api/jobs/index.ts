/**
 * /v1/jobs: asynchronous training of data too large for one request. The handlers check the
 * request (dataset, options, limits, backend) and hand the job to its Durable Object
 * (./durable-object.ts), which trains it in slices; see docs/JOBS.md.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { toMatrix } from '../../data/index.js';
import { totalSteps } from '../../jobs/job-trainer.js';
import { resolveModelConfig, resolveTrainingOptions } from '../../model/config.js';
import { loadWorkerBackend } from '../backends.js';
import { DatasetStore, writeMatrixObject } from '../datasets/store.js';
import type { AppEnv, Bindings } from '../env.js';
import { checkDatasetSize, checkJobData, checkJobWork, checkModelSize, readLimits } from '../limits.js';
import { ApiError, validationHook } from '../problem.js';
import { inlineDataKey, isId, newId } from '../storage-keys.js';
import { isTerminal, type JobInit } from './record.js';
import { cancelRoute, eventsRoute, getRoute, submitRoute } from './routes.js';

function jobStub(env: Bindings, id: string) {
  return env.JOBS.get(env.JOBS.idFromName(id));
}

function jobNotFound(id: string): ApiError {
  return new ApiError(404, { type: 'job-not-found', title: 'Job not found', detail: `No job with id "${id.slice(0, 64)}".` });
}

export const jobs = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(submitRoute, async (c) => {
    const limits = readLimits(c.env);
    const body = c.req.valid('json');
    const id = newId();
    let rows: number;
    let cols: number;
    let dataKey: string;
    let inline = null;
    if (body.datasetId !== undefined) {
      const dataset = await new DatasetStore(c.env.MODELS).head(body.datasetId);
      if (!dataset) {
        throw new ApiError(422, {
          type: 'dataset-not-found',
          title: 'Dataset not found',
          detail: `No dataset with id "${body.datasetId.slice(0, 64)}"; upload one with POST /v1/datasets.`,
          errors: [{ pointer: '/datasetId', detail: 'no such dataset' }],
        });
      }
      ({ rows, cols } = dataset);
      dataKey = dataset.key;
    } else {
      inline = toMatrix(body.data, 'data');
      ({ rows, cols } = inline);
      checkDatasetSize(limits, rows, cols);
      dataKey = inlineDataKey(id);
    }
    checkJobData(limits, rows, cols);
    const config = resolveModelConfig(cols, body.config, { hiddenSize: limits.maxHiddenSize });
    const training = resolveTrainingOptions(body.training, { epochs: limits.maxJobEpochs });
    checkModelSize(limits, cols, config.hiddenSize);
    checkJobWork(limits, rows, cols, config.hiddenSize, training.epochs);
    await loadWorkerBackend(training.backend); // an unavailable backend is refused now, not later

    if (inline) await writeMatrixObject(c.env.MODELS, dataKey, inline, { job: id });
    const init: JobInit = {
      id,
      name: body.name ?? null,
      datasetId: body.datasetId ?? null,
      dataKey,
      rows,
      cols,
      config,
      training,
      totalSteps: totalSteps(rows, training.batchSize, training.epochs),
    };
    const view = await jobStub(c.env, id).start(init);
    return c.json(view, 202, { location: `/v1/jobs/${id}` });
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid('param');
    const view = isId(id) ? await jobStub(c.env, id).status() : null;
    if (!view) throw jobNotFound(id);
    return c.json(view, 200);
  })
  .openapi(eventsRoute, async (c) => {
    const { id } = c.req.valid('param');
    const stub = isId(id) ? jobStub(c.env, id) : null;
    const first = stub ? await stub.status(false) : null;
    if (!stub || !first) throw jobNotFound(id);
    const intervalMs = readLimits(c.env).jobEventsIntervalMs;
    return streamSSE(c, async (stream) => {
      let aborted = false;
      stream.onAbort(() => {
        aborted = true;
      });
      let last = '';
      let view = first;
      while (!aborted) {
        if (isTerminal(view.status)) {
          const full = await stub.status(true);
          await stream.writeSSE({ event: 'end', id: String(view.step), data: JSON.stringify(full ?? view) });
          break;
        }
        const text = JSON.stringify({ ...view, updatedAt: undefined });
        if (text !== last) {
          last = text;
          await stream.writeSSE({ event: 'progress', id: String(view.step), data: JSON.stringify(view) });
        }
        await stream.sleep(intervalMs);
        view = (await stub.status(false)) ?? view;
      }
    }) as never;
  })
  .openapi(cancelRoute, async (c) => {
    const { id } = c.req.valid('param');
    const view = isId(id) ? await jobStub(c.env, id).cancel() : null;
    if (!view) throw jobNotFound(id);
    if (view.status !== 'cancelled') {
      throw new ApiError(409, {
        type: 'conflict',
        detail: `Job ${id} has already ${view.status === 'succeeded' ? 'succeeded' : 'failed'}; there is nothing to cancel.`,
        extra: { status: view.status },
      });
    }
    return c.json(view, 200);
  });
