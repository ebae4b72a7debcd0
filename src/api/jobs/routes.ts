/**
 * The route definitions of /v1/jobs: submit, read, follow (server-sent events), cancel.
 */
import { createRoute } from '@hono/zod-openapi';
import { requireAccess } from '../auth.js';
import { limitBody } from '../body-limit.js';
import { eventsRouteFor } from '../events-route.js';
import { accessErrors, inputErrors, notFoundResponse, problem, security } from '../openapi.js';
import { IdParamsSchema, JobRequestSchema, JobSchema } from '../schemas.js';

const notFound = notFoundResponse('job');
const jobResponse = (description: string) => ({ description, content: { 'application/json': { schema: JobSchema } } });

export const submitRoute = createRoute({
  method: 'post',
  path: '/',
  summary: 'Start a training job',
  description:
    'Trains a new model asynchronously on a stored dataset (`datasetId`) or inline `data`, validating on a split of it or on a stored `validationDatasetId` if asked, in slices driven by a Durable Object alarm, checkpointing after each. Answers 202 at once; follow it with GET /v1/jobs/{id} or /events. The model is stored like POST /v1/models stores one.',
  tags: ['jobs'],
  security,
  middleware: [requireAccess('write'), limitBody('maxBodyBytes')] as const,
  request: { body: { content: { 'application/json': { schema: JobRequestSchema } }, required: true } },
  responses: {
    202: jobResponse('The job, queued.'),
    ...accessErrors.write,
    ...inputErrors,
    413: problem('A limit was exceeded (MAX_JOB_EPOCHS, MAX_JOB_FLOPS, model size…); the detail names it.'),
    422: problem('Invalid options or data, an unknown datasetId or validationDatasetId (type dataset-not-found), a validationDatasetId of another width than the training data or beside training.validationSplit.'),
  },
});

export const getRoute = createRoute({
  method: 'get',
  path: '/{id}',
  summary: 'A job\'s status and progress',
  tags: ['jobs'],
  security,
  middleware: [requireAccess('read')] as const,
  request: { params: IdParamsSchema },
  responses: { 200: jobResponse('The job.'), ...accessErrors.read, ...notFound },
});

export const eventsRoute = eventsRouteFor(
  'Follow a job (server-sent events)',
  'A text/event-stream: a `progress` event (the job without its lossHistory) whenever it changes, then one `end` event (the whole job) when it succeeds, fails or is cancelled, and the stream closes.',
  'No job with this id.',
);

export const cancelRoute = createRoute({
  method: 'delete',
  path: '/{id}',
  summary: 'Cancel a job',
  description: 'Stops a queued or running job (no model is saved). Cancelling a cancelled job answers it again; a finished one is 409.',
  tags: ['jobs'],
  security,
  middleware: [requireAccess('write')] as const,
  request: { params: IdParamsSchema },
  responses: {
    200: jobResponse('The cancelled job.'),
    ...accessErrors.write,
    ...notFound,
    409: problem('The job already succeeded or failed.'),
  },
});
