/**
 * Batch encodes: POST /v1/models/{id}/encode-jobs starts one (its own Durable Object,
 * ./durable-object.ts), GET and DELETE /v1/encode-jobs/{id} read and cancel it. See docs/JOBS.md,
 * Batch encode.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { DatasetStore } from '../datasets/store.js';
import type { AppEnv, Bindings } from '../env.js';
import { unknownDatasetInBody } from '../jobs/dataset-reference.js';
import { ModelStore } from '../model-store.js';
import { ApiError, validationHook } from '../problem.js';
import { isId, newId } from '../storage-keys.js';
import type { EncodeJobView } from './record.js';
import { cancelRoute, getRoute, startRoute } from './routes.js';

function encodeJobStub(env: Bindings, id: string) {
  return env.ENCODE_JOBS.get(env.ENCODE_JOBS.idFromName(id));
}

function notFound(id: string): ApiError {
  return new ApiError(404, { type: 'job-not-found', title: 'Batch encode not found', detail: `No batch encode with id "${id.slice(0, 64)}".` });
}

/** Mounted at /v1/models: the start of a batch encode on one model. */
export const modelEncodeJobs = new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(startRoute, async (c) => {
  const { id: modelId } = c.req.valid('param');
  const body = c.req.valid('json');
  const model = isId(modelId) ? await new ModelStore(c.env.MODELS).head(modelId) : null;
  if (!model) throw new ApiError(404, { type: 'model-not-found', title: 'Model not found', detail: `No model with id "${modelId.slice(0, 64)}".` });
  const dataset = await new DatasetStore(c.env.MODELS).head(body.datasetId);
  if (!dataset) throw unknownDatasetInBody(body.datasetId);
  if (dataset.cols !== model.summary.inputSize) {
    throw new ApiError(422, {
      type: 'invalid-input',
      title: 'Invalid input',
      detail: `The dataset's rows have ${dataset.cols} columns, but the model takes ${model.summary.inputSize} (inputSize).`,
      errors: [{ pointer: '/datasetId', detail: `${dataset.cols} columns, not ${model.summary.inputSize}` }],
    });
  }
  const id = newId();
  const view = await encodeJobStub(c.env, id).start({
    id,
    modelId,
    modelVersion: model.summary.version,
    datasetId: body.datasetId,
    outputId: newId(),
    name: body.name ?? null,
    rows: dataset.rows,
    inputSize: model.summary.inputSize,
    hiddenSize: model.summary.hiddenSize,
  });
  return c.json(view, 202, { location: `/v1/encode-jobs/${id}` });
});

/**
 * The batch encode with this id, checked against the caller's models: starting one is a route on
 * its model (/v1/models/{id}/encode-jobs), so a key limited to some models may read or cancel
 * only the batch encodes of those (403 otherwise, as on the model's own routes).
 */
async function ownEncodeJob(c: Context<AppEnv>, id: string): Promise<EncodeJobView> {
  const view = isId(id) ? await encodeJobStub(c.env, id).status() : null;
  if (!view) throw notFound(id);
  c.set('auditModel', view.modelId);
  const { models } = c.var.principal;
  if (models !== null && !models.includes(view.modelId)) {
    throw new ApiError(403, { type: 'forbidden', detail: `This key is limited to some models, and batch encode ${id} is of model ${view.modelId}, not one of them.` });
  }
  return view;
}

/** Mounted at /v1/encode-jobs. */
export const encodeJobs = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid('param');
    return c.json(await ownEncodeJob(c, id), 200);
  })
  .openapi(cancelRoute, async (c) => {
    const { id } = c.req.valid('param');
    await ownEncodeJob(c, id);
    const view = await encodeJobStub(c.env, id).cancel();
    if (!view) throw notFound(id);
    return c.json(view, 200);
  });
