/** The route definitions of feature statistics: a features job, its result, one feature, explain. */
import { createRoute } from '@hono/zod-openapi';
import { requireAccess } from '../auth.js';
import { limitBody } from '../body-limit.js';
import { eventsRouteFor } from '../events-route.js';
import { accessErrors, inputErrors, notFoundResponse, problem, security } from '../openapi.js';
import { IdParamsSchema, ModelIdParamsSchema } from '../schemas.js';
import {
  ExplainRequestSchema,
  ExplainResponseSchema,
  FeatureJobRequestSchema,
  FeatureJobSchema,
  FeatureListQuerySchema,
  FeatureListSchema,
} from './schemas.js';

const jobResponse = (description: string) => ({ description, content: { 'application/json': { schema: FeatureJobSchema } } });
const noFeatures = problem('No model with this id (model-not-found), or no finished features job for its current version (features-not-found).');

export const startFeaturesRoute = createRoute({
  method: 'post',
  path: '/{id}/features',
  summary: 'Gather feature statistics over a dataset (a features job)',
  description:
    'Each feature\'s firing frequency, mean and max activation, activation histogram, top rows (with the labels sent), rows sampled from lower activation intervals, and nearest features by decoder cosine, gathered over every row of a stored dataset in slices driven by a Durable Object alarm (one shard, or one block of features, a slice). Resumes after a restart with the same statistics bit for bit. Answers 202; follow it with GET /v1/feature-jobs/{id} or /events; read the statistics with GET /v1/models/{id}/features.',
  tags: ['jobs'],
  security,
  middleware: [requireAccess('write'), limitBody('maxBodyBytes')] as const,
  request: { params: ModelIdParamsSchema, body: { content: { 'application/json': { schema: FeatureJobRequestSchema } }, required: true } },
  responses: {
    202: jobResponse('The features job, queued.'),
    ...accessErrors.write,
    ...inputErrors,
    ...notFoundResponse('model'),
    422: problem('An unknown datasetId (type dataset-not-found), a dataset whose width is not the model\'s input size, or labels not one a row.'),
  },
});

export const listFeaturesRoute = createRoute({
  method: 'get',
  path: '/{id}/features',
  summary: 'The model\'s feature statistics, a page at a time',
  description: 'From the model\'s last finished features job: the density histogram, and each feature\'s frequency, mean and max, sorted by index, frequency or max; page on with `cursor`.',
  tags: ['inference'],
  security,
  middleware: [requireAccess('read')] as const,
  request: { params: ModelIdParamsSchema, query: FeatureListQuerySchema },
  responses: { 200: { description: 'A page of features.', content: { 'application/json': { schema: FeatureListSchema } } }, ...accessErrors.read, 404: noFeatures, 422: inputErrors[422] },
});

export const explainRoute = createRoute({
  method: 'post',
  path: '/{id}/explain',
  summary: 'Which features each row lights up, and what they mean',
  description: 'Encodes the rows and answers, for each, its `top` largest active features, each with its frequency, max activation, and its top rows and their labels from the model\'s last features job.',
  tags: ['inference'],
  security,
  middleware: [requireAccess('encode'), limitBody('maxBodyBytes')] as const,
  request: { params: ModelIdParamsSchema, body: { content: { 'application/json': { schema: ExplainRequestSchema } }, required: true } },
  responses: { 200: { description: 'Each row\'s features.', content: { 'application/json': { schema: ExplainResponseSchema } } }, ...accessErrors.read, ...inputErrors, 404: noFeatures },
});

export const getFeatureJobRoute = createRoute({
  method: 'get',
  path: '/{id}',
  summary: 'A features job\'s status and progress',
  description: 'A key limited to some models reads only the features jobs of those (403 for another).',
  tags: ['jobs'],
  security,
  middleware: [requireAccess('read')] as const,
  request: { params: IdParamsSchema },
  responses: { 200: jobResponse('The features job.'), ...accessErrors.read, 404: problem('No features job with this id.') },
});

export const featureJobEventsRoute = eventsRouteFor(
  'Follow a features job (server-sent events)',
  'A text/event-stream, as a training job\'s: a `progress` event (the features job: `phase`, `step` of `steps`, `etaSeconds`) whenever it changes, a slice at a time, its id the step; then one `end` event (the features job, its `status` succeeded, failed with its `error`, or cancelled) when it ends, and the stream closes. A key limited to some models follows only the features jobs of those (403 for another).',
  'No features job with this id.',
);

export const cancelFeatureJobRoute = createRoute({
  method: 'delete',
  path: '/{id}',
  summary: 'Cancel a features job',
  description: 'Stops an unfinished features job and deletes what it gathered; a finished one is answered as it is (the model\'s statistics stay).',
  tags: ['jobs'],
  security,
  middleware: [requireAccess('write')] as const,
  request: { params: IdParamsSchema },
  responses: { 200: jobResponse('The features job.'), ...accessErrors.write, 404: problem('No features job with this id.') },
});
