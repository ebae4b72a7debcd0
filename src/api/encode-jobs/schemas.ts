/** The bodies of batch encodes: POST /v1/models/{id}/encode-jobs and the job as answered. */
import { z } from '@hono/zod-openapi';
import { JobStatusSchema, NameSchema } from '../schemas.js';

export const EncodeJobRequestSchema = z
  .object({
    datasetId: z.string().openapi({ description: 'The dataset whose every row is encoded.' }),
    name: NameSchema.optional().openapi({ description: 'Name of the codes dataset.' }),
  })
  .strict()
  .openapi('EncodeJobRequest');

export const EncodeJobSchema = z
  .object({
    id: z.string(),
    status: JobStatusSchema,
    modelId: z.string(),
    modelVersion: z.number().int().openapi({ description: 'The model version every code comes from.' }),
    datasetId: z.string(),
    rows: z.number().int(),
    rowsDone: z.number().int().openapi({ description: 'Rows encoded and stored so far.' }),
    shardsDone: z.number().int(),
    shardCount: z.number().int().openapi({ description: 'Shards of the codes dataset (one a slice).' }),
    etaSeconds: z.number().nullable(),
    outputDatasetId: z.string().nullable().openapi({ description: 'The codes, a dataset of rows × hiddenSize float32 values, once succeeded (download it, or train on it).' }),
    error: z.object({ type: z.string(), detail: z.string() }).nullable(),
    createdAt: z.string().openapi({ format: 'date-time' }),
    startedAt: z.string().nullable().openapi({ format: 'date-time' }),
    updatedAt: z.string().openapi({ format: 'date-time' }),
    finishedAt: z.string().nullable().openapi({ format: 'date-time' }),
  })
  .openapi('EncodeJob');
