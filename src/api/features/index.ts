/**
 * Feature statistics in the API (docs/FEATURES.md): POST /v1/models/{id}/features starts a features
 * job (its own Durable Object, ./durable-object.ts), GET and DELETE /v1/feature-jobs/{id} read and
 * cancel it, GET /v1/feature-jobs/{id}/events follows it (as a training job's events); GET /v1/models/{id}/features and /features/{j} read the model's last result, POST
 * /v1/models/{id}/explain answers which features rows light up.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { FeatureSummary } from '../../features/feature-stats.js';
import { densityBins } from '../../viz/density.js';
import { DatasetStore } from '../datasets/store.js';
import type { AppEnv, Bindings } from '../env.js';
import { unknownDatasetInBody } from '../jobs/dataset-reference.js';
import { ModelStore } from '../model-store.js';
import { inputsOf } from '../models/index.js';
import { ModelService } from '../models/service.js';
import { jobEventStream } from '../job-events.js';
import { ApiError, validationHook } from '../problem.js';
import { isId, newId } from '../storage-keys.js';
import type { FeatureJobView } from './record.js';
import { cancelFeatureJobRoute, explainRoute, featureJobEventsRoute, getFeatureJobRoute, listFeaturesRoute, startFeaturesRoute } from './routes.js';
import { readFeatures, writeLabels, type StoredFeatures } from './store.js';

function featureJobStub(env: Bindings, id: string) {
  return env.FEATURE_JOBS.get(env.FEATURE_JOBS.idFromName(id));
}

const modelNotFound = (id: string) => new ApiError(404, { type: 'model-not-found', title: 'Model not found', detail: `No model with id "${id.slice(0, 64)}".` });
const jobNotFound = (id: string) => new ApiError(404, { type: 'job-not-found', title: 'Features job not found', detail: `No features job with id "${id.slice(0, 64)}".` });

/** The model's head, or a 404. */
async function modelHead(c: Context<AppEnv>, id: string) {
  const head = isId(id) ? await new ModelStore(c.env.MODELS).head(id) : null;
  if (!head) throw modelNotFound(id);
  return head;
}

/** The model's statistics for its current version, or null (none, or of an older version). */
async function currentFeatures(c: Context<AppEnv>, id: string): Promise<StoredFeatures | null> {
  const head = await modelHead(c, id);
  const stored = await readFeatures(c.env.MODELS, id);
  return stored !== null && stored.modelVersion === head.summary.version ? stored : null;
}

async function requireFeatures(c: Context<AppEnv>, id: string): Promise<StoredFeatures> {
  const stored = await currentFeatures(c, id);
  if (stored === null) {
    throw new ApiError(404, { type: 'features-not-found', title: 'No feature statistics', detail: `Model ${id} has no finished features job for its current version: start one with POST /v1/models/${id}/features.` });
  }
  return stored;
}

const SORTS = {
  index: (a: FeatureSummary, b: FeatureSummary) => a.index - b.index,
  frequency: (a: FeatureSummary, b: FeatureSummary) => b.frequency - a.frequency || a.index - b.index,
  max: (a: FeatureSummary, b: FeatureSummary) => b.maxActivation - a.maxActivation || a.index - b.index,
};

/** Mounted at /v1/models (GET /v1/models/{id}/features/{j} is the models' route, with featureStatisticsOf's answer). */
export const modelFeatures = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(startFeaturesRoute, async (c) => {
    const { id: modelId } = c.req.valid('param');
    const body = c.req.valid('json');
    const model = await modelHead(c, modelId);
    const dataset = await new DatasetStore(c.env.MODELS).head(body.datasetId);
    if (!dataset) throw unknownDatasetInBody(body.datasetId);
    const invalid = (detail: string, pointer: string, what: string) => new ApiError(422, { type: 'invalid-input', title: 'Invalid input', detail, errors: [{ pointer, detail: what }] });
    if (dataset.cols !== model.summary.inputSize) {
      throw invalid(`The dataset's rows have ${dataset.cols} columns, but the model takes ${model.summary.inputSize} (inputSize).`, '/datasetId', `${dataset.cols} columns, not ${model.summary.inputSize}`);
    }
    if (body.labels !== undefined && body.labels.length !== dataset.rows) {
      throw invalid(`${body.labels.length} labels were sent, but the dataset has ${dataset.rows} rows: send one label a row.`, '/labels', `${body.labels.length} labels, not ${dataset.rows}`);
    }
    const id = newId();
    if (body.labels !== undefined) await writeLabels(c.env.MODELS, id, body.labels);
    const view = await featureJobStub(c.env, id).start({
      id,
      modelId,
      modelVersion: model.summary.version,
      datasetId: body.datasetId,
      rows: dataset.rows,
      hiddenSize: model.summary.hiddenSize,
      options: { ...(body.top === undefined ? {} : { top: body.top }), ...(body.seed === undefined ? {} : { seed: body.seed }) },
      labelled: body.labels !== undefined,
      datasetLabelled: dataset.labelled,
    });
    return c.json(view, 202, { location: `/v1/feature-jobs/${id}` });
  })
  .openapi(listFeaturesRoute, async (c) => {
    const { id } = c.req.valid('param');
    const { sort = 'index', cursor, limit = 100 } = c.req.valid('query');
    const stored = await requireFeatures(c, id);
    const offset = cursor === undefined ? 0 : Number(cursor);
    if (!(Number.isInteger(offset) && offset >= 0 && offset <= stored.features.length && /^\d+$/.test(cursor ?? '0'))) {
      throw new ApiError(422, { type: 'validation-failed', title: 'Invalid cursor', detail: `cursor ${JSON.stringify(cursor)} is not one this list gave.`, errors: [{ pointer: '/cursor', detail: 'not a cursor of this list' }] });
    }
    const sorted = [...stored.features].sort(SORTS[sort]);
    const page = sorted.slice(offset, offset + limit);
    return c.json(
      {
        modelId: id,
        datasetId: stored.datasetId,
        rows: stored.rows,
        hiddenSize: stored.hiddenSize,
        activeThreshold: stored.activeThreshold,
        density: densityBins(stored.features.map((f) => f.frequency)),
        items: page.map((f) => ({ index: f.index, frequency: f.frequency, meanActivation: f.meanActivation, maxActivation: f.maxActivation })),
        nextCursor: offset + limit < sorted.length ? String(offset + limit) : null,
      },
      200,
    );
  })
  .openapi(explainRoute, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const stored = await requireFeatures(c, id);
    const { matrix, source } = inputsOf(body);
    const top = body.top ?? 5;
    const service = new ModelService(c.env);
    const codes = await service.withModel(id, 'auto', (model) => {
      service.checkInputs(matrix, model.inputSize, source);
      return model.encode(matrix);
    });
    const h = codes.cols;
    const rows = Array.from({ length: codes.rows }, (_, i) => {
      const active: { index: number; value: number }[] = [];
      for (let k = 0; k < h; k++) {
        const value = codes.data[i * h + k]!;
        if (value > stored.activeThreshold) active.push({ index: k, value });
      }
      active.sort((a, b) => b.value - a.value || a.index - b.index);
      return active.slice(0, top).map(({ index, value }) => {
        const f = stored.features[index]!;
        return { index, value, frequency: f.frequency, maxActivation: f.maxActivation, topLabels: f.top.map((t) => t.label ?? ''), topRows: f.top.map((t) => t.row) };
      });
    });
    return c.json({ rows }, 200);
  });

/** The features job with this id, checked against the caller's models (as batch encodes are). */
async function ownFeatureJob(c: Context<AppEnv>, id: string): Promise<FeatureJobView> {
  const view = isId(id) ? await featureJobStub(c.env, id).status() : null;
  if (!view) throw jobNotFound(id);
  c.set('auditModel', view.modelId);
  const { models } = c.var.principal;
  if (models !== null && !models.includes(view.modelId)) {
    throw new ApiError(403, { type: 'forbidden', detail: `This key is limited to some models, and features job ${id} is of model ${view.modelId}, not one of them.` });
  }
  return view;
}

/** Mounted at /v1/feature-jobs. */
export const featureJobs = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(getFeatureJobRoute, async (c) => {
    const { id } = c.req.valid('param');
    return c.json(await ownFeatureJob(c, id), 200);
  })
  .openapi(featureJobEventsRoute, async (c) => {
    const { id } = c.req.valid('param');
    const first = await ownFeatureJob(c, id);
    const stub = featureJobStub(c.env, id);
    return (await jobEventStream(c, first, () => stub.status())) as never;
  })
  .openapi(cancelFeatureJobRoute, async (c) => {
    const { id } = c.req.valid('param');
    await ownFeatureJob(c, id);
    const view = await featureJobStub(c.env, id).cancel();
    if (!view) throw jobNotFound(id);
    return c.json(view, 200);
  });
