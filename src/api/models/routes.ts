/**
 * The route definitions of /v1/models: paths, auth, body limits, request schemas and responses.
 * The OpenAPI document and the typed `hc` client both come from these.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { requireAccess } from '../auth.js';
import { limitBody } from '../body-limit.js';
import {
  ContinueTrainingRequestSchema,
  EncodeResponseSchema,
  InputsRequestSchema,
  ListQuerySchema,
  MetricsSchema,
  ModelDetailSchema,
  ModelFileSchema,
  ModelIdParamsSchema,
  ModelListSchema,
  NameSchema,
  ProblemSchema,
  ReconstructResponseSchema,
  TrainQuerySchema,
  TrainRequestSchema,
  TrainResponseSchema,
} from '../schemas.js';

const security = [{ bearerAuth: [] }];

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

/** The error responses every authenticated route can give. */
const authErrors = {
  401: problem('Missing or invalid token.'),
  403: problem('The token may not do this (an encode-only token on a write).'),
  429: problem('The token is over its rate limit; retry after Retry-After seconds.'),
  503: problem('The model store (R2) failed; retry after Retry-After seconds.'),
};
const inputErrors = {
  400: problem('Malformed JSON.'),
  413: problem('A limit was exceeded; the detail names it.'),
  415: problem('Unsupported content type.'),
  422: problem('Invalid input; `errors` lists each field at fault.'),
};
const notFound = { 404: problem('No model with this id.') };

export const trainRoute = createRoute({
  method: 'post',
  path: '/',
  summary: 'Train a new model (synchronously)',
  description:
    'Trains a new model on `data` and stores it. The body is JSON, or `text/csv` with the options as query parameters. Work above the synchronous budget is refused with 413; train it with the jobs API.',
  tags: ['models'],
  security,
  middleware: [requireAccess('write'), limitBody('maxBodyBytes')] as const,
  request: {
    query: TrainQuerySchema,
    body: {
      content: {
        'application/json': { schema: TrainRequestSchema },
        'text/csv': { schema: z.string().openapi({ example: 'a,b,c\n0,0.5,1\n1,0.25,0\n' }) },
      },
      // Either media type; the handler refuses a missing body.
      required: false,
    },
  },
  responses: {
    201: { description: 'The trained model.', content: { 'application/json': { schema: TrainResponseSchema } } },
    ...authErrors,
    ...inputErrors,
  },
});

export const listRoute = createRoute({
  method: 'get',
  path: '/',
  summary: 'List models',
  tags: ['models'],
  security,
  middleware: [requireAccess('read')] as const,
  request: { query: ListQuerySchema },
  responses: {
    200: { description: 'One page of model summaries.', content: { 'application/json': { schema: ModelListSchema } } },
    ...authErrors,
    422: inputErrors[422],
  },
});

/** The binary model file (safetensors layout, docs/MODEL-FORMAT.md) in the OpenAPI document. */
const BinaryModelFileSchema = z.string().openapi({ format: 'binary', description: 'The binary model file (safetensors layout).' });

export const importRoute = createRoute({
  method: 'post',
  path: '/import',
  summary: 'Import a model file',
  description:
    'Stores a model file (as exported, either form) under a new id. `application/json`: the JSON form. `application/octet-stream`: either form, told apart by content (the binary form, or JSON text). Its size is bounded by MAX_MODEL_BYTES.',
  tags: ['models'],
  security,
  middleware: [requireAccess('write'), limitBody('maxModelBytes')] as const,
  request: {
    query: z.object({ name: NameSchema.optional() }),
    body: {
      content: {
        'application/json': { schema: ModelFileSchema },
        'application/octet-stream': { schema: BinaryModelFileSchema },
      },
      // Either media type (the JSON one alone is validated by schema); the handler refuses no body.
      required: false,
    },
  },
  responses: {
    201: { description: 'The imported model.', content: { 'application/json': { schema: ModelDetailSchema } } },
    ...authErrors,
    ...inputErrors,
  },
});

export const getRoute = createRoute({
  method: 'get',
  path: '/{id}',
  summary: 'A model\'s summary (no weights)',
  tags: ['models'],
  security,
  middleware: [requireAccess('read')] as const,
  request: { params: ModelIdParamsSchema },
  responses: {
    200: { description: 'The model.', content: { 'application/json': { schema: ModelDetailSchema } } },
    ...authErrors,
    ...notFound,
  },
});

export const ExportQuerySchema = z.object({
  format: z
    .enum(['json', 'safetensors'])
    .optional()
    .openapi({ description: 'json (default): the JSON model file; safetensors: the binary one (docs/MODEL-FORMAT.md).' }),
});

export const exportRoute = createRoute({
  method: 'get',
  path: '/{id}/export',
  summary: 'Export the model file',
  tags: ['models'],
  security,
  middleware: [requireAccess('read')] as const,
  request: { params: ModelIdParamsSchema, query: ExportQuerySchema },
  responses: {
    200: {
      description: 'The model file (format "edge-sae", version 1), in the form asked for.',
      content: { 'application/json': { schema: ModelFileSchema }, 'application/octet-stream': { schema: BinaryModelFileSchema } },
    },
    422: inputErrors[422],
    ...authErrors,
    ...notFound,
  },
});

export const continueTrainingRoute = createRoute({
  method: 'post',
  path: '/{id}/train',
  summary: 'Continue training a model',
  description:
    'Trains further from the current weights and optimizer state. Options not given are those of the last run. Creates the next version.',
  tags: ['models'],
  security,
  middleware: [requireAccess('write'), limitBody('maxBodyBytes')] as const,
  request: {
    params: ModelIdParamsSchema,
    body: { content: { 'application/json': { schema: ContinueTrainingRequestSchema } }, required: true },
  },
  responses: {
    200: { description: 'The retrained model.', content: { 'application/json': { schema: TrainResponseSchema } } },
    ...authErrors,
    ...inputErrors,
    ...notFound,
    409: problem('The model changed while this request trained it.'),
  },
});

export const deleteRoute = createRoute({
  method: 'delete',
  path: '/{id}',
  summary: 'Delete a model',
  tags: ['models'],
  security,
  middleware: [requireAccess('write')] as const,
  request: { params: ModelIdParamsSchema },
  responses: { 204: { description: 'Deleted.' }, ...authErrors, ...notFound },
});

const inputsBody = {
  body: { content: { 'application/json': { schema: InputsRequestSchema } }, required: true },
};

export const encodeRoute = createRoute({
  method: 'post',
  path: '/{id}/encode',
  summary: 'Encode rows into hidden codes',
  tags: ['inference'],
  security,
  middleware: [requireAccess('read'), limitBody('maxBodyBytes')] as const,
  request: { params: ModelIdParamsSchema, ...inputsBody },
  responses: {
    200: { description: 'One row of codes per input row.', content: { 'application/json': { schema: EncodeResponseSchema } } },
    ...authErrors,
    ...inputErrors,
    ...notFound,
  },
});

export const reconstructRoute = createRoute({
  method: 'post',
  path: '/{id}/reconstruct',
  summary: 'Reconstruct rows',
  tags: ['inference'],
  security,
  middleware: [requireAccess('read'), limitBody('maxBodyBytes')] as const,
  request: { params: ModelIdParamsSchema, ...inputsBody },
  responses: {
    200: { description: 'Reconstructions and per-row squared errors.', content: { 'application/json': { schema: ReconstructResponseSchema } } },
    ...authErrors,
    ...inputErrors,
    ...notFound,
  },
});

export const evaluateRoute = createRoute({
  method: 'post',
  path: '/{id}/evaluate',
  summary: 'Evaluate the model on rows',
  tags: ['inference'],
  security,
  middleware: [requireAccess('read'), limitBody('maxBodyBytes')] as const,
  request: { params: ModelIdParamsSchema, ...inputsBody },
  responses: {
    200: { description: 'The metrics of SPEC section 2 on these rows.', content: { 'application/json': { schema: MetricsSchema } } },
    ...authErrors,
    ...inputErrors,
    ...notFound,
  },
});
