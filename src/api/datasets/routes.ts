/**
 * The route definitions of /v1/datasets: upload (CSV, JSON or raw float32), read, list, delete.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { requireAccess } from '../auth.js';
import { limitBody } from '../body-limit.js';
import {
  DatasetListSchema,
  DatasetSchema,
  DatasetUploadQuerySchema,
  IdParamsSchema,
  ListQuerySchema,
} from '../schemas.js';
import { accessErrors, inputErrors, notFoundResponse, problem, security } from '../openapi.js';

const notFound = notFoundResponse('dataset');

export const uploadRoute = createRoute({
  method: 'post',
  path: '/',
  summary: 'Upload a dataset',
  description:
    'The body is `text/csv` (an optional header row), `application/json` (an array of rows, or `{ "data": rows }`), or `application/octet-stream`: rows × cols float32 little-endian numbers, row-major, with `?rows=&cols=`. It is stored as float32.',
  tags: ['datasets'],
  security,
  middleware: [requireAccess('write'), limitBody('maxDatasetBytes')] as const,
  request: {
    query: DatasetUploadQuerySchema,
    body: {
      content: {
        'text/csv': { schema: z.string().openapi({ example: 'a,b\n0,1\n1,0\n' }) },
        'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) },
      },
      required: false,
    },
  },
  responses: {
    201: { description: 'The stored dataset.', content: { 'application/json': { schema: DatasetSchema } } },
    ...accessErrors.write,
    ...inputErrors,
    422: problem('Invalid data (the row and column are named), or a binary body that does not match rows × cols.'),
  },
});

export const listRoute = createRoute({
  method: 'get',
  path: '/',
  summary: 'List datasets',
  tags: ['datasets'],
  security,
  middleware: [requireAccess('read')] as const,
  request: { query: ListQuerySchema },
  responses: {
    200: { description: 'One page of datasets.', content: { 'application/json': { schema: DatasetListSchema } } },
    ...accessErrors.read,
    422: problem('Bad limit or cursor.'),
  },
});

export const getRoute = createRoute({
  method: 'get',
  path: '/{id}',
  summary: 'A dataset\'s shape, size and creation time',
  tags: ['datasets'],
  security,
  middleware: [requireAccess('read')] as const,
  request: { params: IdParamsSchema },
  responses: {
    200: { description: 'The dataset.', content: { 'application/json': { schema: DatasetSchema } } },
    ...accessErrors.read,
    ...notFound,
  },
});

export const deleteRoute = createRoute({
  method: 'delete',
  path: '/{id}',
  summary: 'Delete a dataset',
  description: 'A job still training on it fails with a reason at its next slice.',
  tags: ['datasets'],
  security,
  middleware: [requireAccess('write')] as const,
  request: { params: IdParamsSchema },
  responses: { 204: { description: 'Deleted.' }, ...accessErrors.write, ...notFound },
});
