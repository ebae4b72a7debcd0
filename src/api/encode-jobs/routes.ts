/** The route definitions of batch encodes: start one on a model, read it, cancel it. */
import { createRoute } from '@hono/zod-openapi';
import { requireAccess } from '../auth.js';
import { limitBody } from '../body-limit.js';
import { accessErrors, inputErrors, notFoundResponse, problem, security } from '../openapi.js';
import { IdParamsSchema } from '../schemas.js';
import { EncodeJobRequestSchema, EncodeJobSchema } from './schemas.js';

const encodeJobResponse = (description: string) => ({ description, content: { 'application/json': { schema: EncodeJobSchema } } });

export const startRoute = createRoute({
  method: 'post',
  path: '/{id}/encode-jobs',
  summary: 'Encode every row of a dataset (a batch encode)',
  description:
    'Encodes every row of a stored dataset with the model, in slices driven by a Durable Object alarm (one shard of the codes a slice), and stores the codes as a new dataset (rows × hiddenSize float32, `format: "codes"`): download it with GET /v1/datasets/{id}/download, or train on it. Resumes after a restart without skipping or repeating a row. Answers 202; follow it with GET /v1/encode-jobs/{id}.',
  tags: ['jobs'],
  security,
  middleware: [requireAccess('write'), limitBody('maxBodyBytes')] as const,
  request: { params: IdParamsSchema, body: { content: { 'application/json': { schema: EncodeJobRequestSchema } }, required: true } },
  responses: {
    202: encodeJobResponse('The batch encode, queued.'),
    ...accessErrors.write,
    ...inputErrors,
    ...notFoundResponse('model'),
    422: problem('An unknown datasetId (type dataset-not-found), or a dataset whose width is not the model\'s input size.'),
  },
});

export const getRoute = createRoute({
  method: 'get',
  path: '/{id}',
  summary: 'A batch encode\'s status and progress',
  description: 'A key limited to some models reads only the batch encodes of those (403 for another).',
  tags: ['jobs'],
  security,
  middleware: [requireAccess('read')] as const,
  request: { params: IdParamsSchema },
  responses: { 200: encodeJobResponse('The batch encode.'), ...accessErrors.read, 404: problem('No batch encode with this id.') },
});

export const cancelRoute = createRoute({
  method: 'delete',
  path: '/{id}',
  summary: 'Cancel a batch encode',
  description: 'Stops an unfinished batch encode and deletes the codes written so far; a finished one is answered as it is. A key limited to some models cancels only the batch encodes of those (403 for another).',
  tags: ['jobs'],
  security,
  middleware: [requireAccess('write')] as const,
  request: { params: IdParamsSchema },
  responses: { 200: encodeJobResponse('The batch encode.'), ...accessErrors.write, 404: problem('No batch encode with this id.') },
});
