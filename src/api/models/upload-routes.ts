/**
 * The route definitions of /v1/models/uploads: a model file uploaded in parts (docs/API.md,
 * Models uploaded in parts), the datasets' part protocol for one R2 object.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { requireAccess } from '../auth.js';
import { limitBody } from '../body-limit.js';
import { accessErrors, inputErrors, locationHeader, problem, security } from '../openapi.js';
import { IdParamsSchema, ModelDetailSchema, NameSchema, UploadPartParamsSchema } from '../schemas.js';

export const ModelUploadRequestSchema = z
  .object({
    name: NameSchema.optional(),
    bytes: z.number().int().min(16).max(Number.MAX_SAFE_INTEGER).openapi({ description: 'The model file\'s exact size in bytes (an edge-sae binary model file, docs/MODEL-FORMAT.md).' }),
    partBytes: z
      .number()
      .int()
      .min(8)
      .optional()
      .openapi({ description: 'Bytes of every part but the last: a multiple of 8, at least 5 MiB (R2\'s smallest part) unless the file fits in one part, at most MAX_PART_BYTES (the default).' }),
  })
  .strict()
  .openapi('ModelUploadRequest');

export const ModelUploadSchema = z
  .object({
    id: z.string().openapi({ description: 'The upload\'s id, which is also the id of the model it becomes.' }),
    name: z.string().nullable(),
    bytes: z.number().int(),
    partCount: z.number().int(),
    partBytes: z.number().int().openapi({ description: 'Bytes of every part but the last: part n holds the file\'s bytes n·partBytes … (0-based).' }),
    lastPartBytes: z.number().int(),
    received: z.array(z.number().int()).openapi({ description: 'The parts that have arrived, in order.' }),
    missing: z.number().int().openapi({ description: 'How many parts have not arrived.' }),
    status: z.enum(['open', 'completed']),
    createdAt: z.string().openapi({ format: 'date-time' }),
    expiresAt: z.string().openapi({ format: 'date-time', description: 'When an open upload and its parts are deleted; each part that arrives moves it on.' }),
  })
  .openapi('ModelUpload');

const noUpload = { 404: problem('No open upload with this id (never started, aborted, or expired).') };

export const startModelUploadRoute = createRoute({
  method: 'post',
  path: '/',
  summary: 'Start uploading a model file in parts',
  description:
    'For an edge-sae binary model file larger than one request (MAX_MODEL_BYTES): answers the upload (its id is the id of the model it becomes) and its part layout. Part 0 first (it carries the header, against which every other part is checked), then the others in any order; then complete. The model is stored as one R2 object (up to 10,000 parts × partBytes) and appears whole at completion, or not at all. Another library\'s SAE is converted first (`edge-sae import`, docs/IMPORT.md).',
  tags: ['models'],
  security,
  middleware: [requireAccess('write'), limitBody('maxBodyBytes')] as const,
  request: { body: { content: { 'application/json': { schema: ModelUploadRequestSchema } }, required: true } },
  responses: {
    201: { description: 'The upload.', content: { 'application/json': { schema: ModelUploadSchema } } },
    ...accessErrors.write,
    ...inputErrors,
  },
});

export const modelPartRoute = createRoute({
  method: 'put',
  path: '/{id}/parts/{n}',
  summary: 'Send one part of a model upload',
  description:
    'The body is bytes n·partBytes … of the model file (partBytes bytes; lastPartBytes for the last). Part 0 must come first; the others in any order; sending a part again replaces it (part 0 again must carry the same header). A part is checked on arrival: its exact length, and its values (a float32 or bfloat16 that is not finite, an int8 weight of −128, named by tensor and cell).',
  tags: ['models'],
  security,
  middleware: [requireAccess('write'), limitBody('maxPartBytes')] as const,
  request: {
    params: UploadPartParamsSchema,
    body: { content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } }, required: false },
  },
  responses: {
    200: { description: 'The upload, with this part received.', content: { 'application/json': { schema: ModelUploadSchema } } },
    ...accessErrors.write,
    ...noUpload,
    409: problem('The upload has completed, part 0 has not arrived yet, or part 0 sent again carries another header.'),
    413: problem('The part is larger than MAX_PART_BYTES.'),
    422: problem('A bad part: a wrong length, a part number past the last, or a bad value or header (invalid-model-file, the field named); the parts already received are kept.'),
    503: problem('The store failed while storing the part; send it again.'),
  },
});

export const modelUploadStatusRoute = createRoute({
  method: 'get',
  path: '/{id}',
  summary: 'A model upload\'s layout and the parts that have arrived',
  tags: ['models'],
  security,
  middleware: [requireAccess('read')] as const,
  request: { params: IdParamsSchema },
  responses: {
    200: { description: 'The upload.', content: { 'application/json': { schema: ModelUploadSchema } } },
    ...accessErrors.read,
    ...noUpload,
  },
});

export const completeModelUploadRoute = createRoute({
  method: 'post',
  path: '/{id}/complete',
  summary: 'Complete a model upload: the model appears',
  description: 'Checks the model file\'s metadata and small tensors with the model file\'s reader (its weights were checked part by part), then completes the R2 object: the model exists from then on, whole.',
  tags: ['models'],
  security,
  middleware: [requireAccess('write')] as const,
  request: { params: IdParamsSchema },
  responses: {
    201: { description: 'The model.', headers: locationHeader('model'), content: { 'application/json': { schema: ModelDetailSchema } } },
    ...accessErrors.write,
    ...noUpload,
    409: problem('Parts are missing (`missing` lists them; type upload-incomplete), or the upload has already completed.'),
    422: problem('The file is not a valid model file (invalid-model-file, the field named); nothing is stored, and the upload stays open.'),
    503: problem('The store failed while completing; complete again.'),
  },
});

export const abortModelUploadRoute = createRoute({
  method: 'delete',
  path: '/{id}',
  summary: 'Abort a model upload',
  description: 'Deletes its parts (R2\'s multipart upload is aborted) and its state.',
  tags: ['models'],
  security,
  middleware: [requireAccess('write')] as const,
  request: { params: IdParamsSchema },
  responses: {
    204: { description: 'Aborted.' },
    ...accessErrors.write,
    ...noUpload,
    409: problem('The upload has completed (delete the model instead).'),
  },
});
