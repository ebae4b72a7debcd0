/**
 * The route definitions of /v1/datasets/uploads: a dataset uploaded in parts (docs/JOBS.md).
 */
import { createRoute, z } from '@hono/zod-openapi';
import { requireAccess } from '../auth.js';
import { limitBody } from '../body-limit.js';
import { DatasetSchema, IdParamsSchema, UploadPartParamsSchema, UploadRequestSchema, UploadSchema } from '../schemas.js';
import { accessErrors, inputErrors, problem, security } from '../openapi.js';

const noUpload = { 404: problem('No open upload with this id (never started, aborted, or expired).') };

export const startRoute = createRoute({
  method: 'post',
  path: '/',
  summary: 'Start an upload in parts',
  description:
    'Answers the upload (its id is the id of the dataset it becomes) and its part layout: part n (0-based) holds rows n·shardRows … of the dataset, `partBytes` bytes each (`lastPartBytes` for the last).',
  tags: ['datasets'],
  security,
  middleware: [requireAccess('write'), limitBody('maxBodyBytes')] as const,
  request: { body: { content: { 'application/json': { schema: UploadRequestSchema } }, required: true } },
  responses: {
    201: { description: 'The upload.', content: { 'application/json': { schema: UploadSchema } } },
    ...accessErrors.write,
    ...inputErrors,
  },
});

export const partRoute = createRoute({
  method: 'put',
  path: '/{id}/parts/{n}',
  summary: 'Send one part of an upload',
  description:
    'The body is the part\'s raw little-endian values, row-major (float32: 4 bytes each; uint8: 1 byte each), in any order; sending a part again replaces it. A part is checked on arrival: its exact length and, for float32, finite values.',
  tags: ['datasets'],
  security,
  middleware: [requireAccess('write'), limitBody('maxPartBytes')] as const,
  request: {
    params: UploadPartParamsSchema,
    body: { content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } }, required: false },
  },
  responses: {
    200: { description: 'The upload, with this part received.', content: { 'application/json': { schema: UploadSchema } } },
    ...accessErrors.write,
    ...noUpload,
    409: problem('The upload has completed.'),
    413: problem('The part is larger than MAX_PART_BYTES.'),
    422: problem('A bad part (the part, and the row and column of a bad value, are named); the parts already received are kept.'),
  },
});

export const labelsPartRoute = createRoute({
  method: 'put',
  path: '/{id}/labels/{n}',
  summary: 'Send the labels of one part of an upload',
  description:
    'An upload started with `"labels": true`: the body is UTF-8 text, one label a line (\\n or \\r\\n), as many lines as part n has rows (a final newline is optional); it is stored beside shard n. Sending it again replaces it. Each label is at most MAX_LABEL_BYTES bytes; all the labels of an upload at most MAX_DATASET_LABEL_BYTES.',
  tags: ['datasets'],
  security,
  middleware: [requireAccess('write'), limitBody('maxPartBytes')] as const,
  request: {
    params: UploadPartParamsSchema,
    body: { content: { 'text/plain': { schema: z.string().openapi({ example: 'digit 7\ndigit 2\n' }) } }, required: false },
  },
  responses: {
    200: { description: 'The upload, with these labels received.', content: { 'application/json': { schema: UploadSchema } } },
    ...accessErrors.write,
    ...noUpload,
    409: problem('The upload has completed, or was started without labels.'),
    413: problem('The body is larger than MAX_PART_BYTES, or the upload\'s labels would pass MAX_DATASET_LABEL_BYTES.'),
    422: problem('Bad labels (the labels part is named: not UTF-8, not one line a row, a label over MAX_LABEL_BYTES with its row); the parts already received are kept.'),
  },
});

export const statusRoute = createRoute({
  method: 'get',
  path: '/{id}',
  summary: 'An upload\'s layout and the parts that have arrived',
  tags: ['datasets'],
  security,
  middleware: [requireAccess('read')] as const,
  request: { params: IdParamsSchema },
  responses: {
    200: { description: 'The upload.', content: { 'application/json': { schema: UploadSchema } } },
    ...accessErrors.read,
    ...noUpload,
  },
});

export const completeRoute = createRoute({
  method: 'post',
  path: '/{id}/complete',
  summary: 'Complete an upload: the dataset appears',
  description: 'Writes the dataset\'s manifest once every part has arrived, so the dataset appears whole or not at all.',
  tags: ['datasets'],
  security,
  middleware: [requireAccess('write')] as const,
  request: { params: IdParamsSchema },
  responses: {
    201: { description: 'The dataset.', content: { 'application/json': { schema: DatasetSchema } } },
    ...accessErrors.write,
    ...noUpload,
    409: problem('Parts or labels parts are missing (`missing` and `missingLabels` list them; type upload-incomplete), or the upload has already completed.'),
  },
});

export const abortRoute = createRoute({
  method: 'delete',
  path: '/{id}',
  summary: 'Abort an upload',
  description: 'Deletes its parts and its state.',
  tags: ['datasets'],
  security,
  middleware: [requireAccess('write')] as const,
  request: { params: IdParamsSchema },
  responses: {
    204: { description: 'Aborted.' },
    ...accessErrors.write,
    ...noUpload,
    409: problem('The upload has completed (delete the dataset instead).'),
  },
});
