/** The route definitions of /v1/sweeps: start, read, follow (server-sent events), cancel. */
import { createRoute } from '@hono/zod-openapi';
import { requireAccess } from '../auth.js';
import { limitBody } from '../body-limit.js';
import { eventsRouteFor } from '../events-route.js';
import { accessErrors, inputErrors, notFoundResponse, problem, security } from '../openapi.js';
import { IdParamsSchema } from '../schemas.js';
import { SweepRequestSchema, SweepSchema } from './schemas.js';

const notFound = notFoundResponse('sweep');
const sweepResponse = (description: string) => ({ description, content: { 'application/json': { schema: SweepSchema } } });

export const startRoute = createRoute({
  method: 'post',
  path: '/',
  summary: 'Start a hyperparameter sweep',
  description:
    'Trains every trial (the product of `grid`, or the `trials` listed) on one dataset, each as its own job (its own Durable Object), all started at once. A trial whose options are refused (e.g. `k` above the hidden size, a limit) fails alone with the reason; the rest start. Answers 202; follow it with GET /v1/sweeps/{id} or /events.',
  tags: ['jobs'],
  security,
  middleware: [requireAccess('write'), limitBody('maxBodyBytes')] as const,
  request: { body: { content: { 'application/json': { schema: SweepRequestSchema } }, required: true } },
  responses: {
    202: sweepResponse('The sweep, its trials queued.'),
    ...accessErrors.write,
    ...inputErrors,
    413: problem('More trials than MAX_SWEEP_TRIALS (the detail names it).'),
    422: problem('Invalid options (an unknown option in the grid, a value out of range), an unknown datasetId or validationDatasetId (type dataset-not-found), a validationDatasetId of another width or beside a validation split.'),
    429: problem('Starting the trials would pass MAX_RUNNING_JOBS (type too-many-jobs), or the token is over its rate limit.'),
  },
});

export const getRoute = createRoute({
  method: 'get',
  path: '/{id}',
  summary: 'A sweep: its trials, ranked',
  tags: ['jobs'],
  security,
  middleware: [requireAccess('read')] as const,
  request: { params: IdParamsSchema },
  responses: { 200: sweepResponse('The sweep.'), ...accessErrors.read, ...notFound },
});

export const eventsRoute = eventsRouteFor(
  'Follow a sweep (server-sent events)',
  'A text/event-stream: a `progress` event (the sweep) whenever a trial changes, then one `end` event when every trial has ended, and the stream closes.',
  'No sweep with this id.',
);

export const cancelRoute = createRoute({
  method: 'delete',
  path: '/{id}',
  summary: 'Cancel a sweep',
  description: 'Cancels every trial not yet ended (no model is saved for them); finished trials keep their models. Answers the sweep.',
  tags: ['jobs'],
  security,
  middleware: [requireAccess('write')] as const,
  request: { params: IdParamsSchema },
  responses: { 200: sweepResponse('The sweep, its unfinished trials cancelled.'), ...accessErrors.write, ...notFound },
});
