/** The bodies of the features routes: a features job, the list, one feature, explain. */
import { z } from '@hono/zod-openapi';
import { decimalInteger } from '../query-numbers.js';
import { JobStatusSchema, MatrixSchema, RowSchema } from '../schemas.js';

export { FeatureStatisticsSchema } from './statistics-schema.js';

export const FeatureJobRequestSchema = z
  .object({
    datasetId: z.string().openapi({ description: 'The stored dataset whose rows the statistics are gathered over.' }),
    top: z.number().int().min(0).max(100).optional().openapi({ description: 'Top rows kept per feature (default 20).' }),
    seed: z.number().int().min(0).max(4294967295).optional().openapi({ description: 'Seed of the interval samples (default 0).' }),
    labels: z.array(z.string().max(1000)).optional().openapi({ description: 'One label or text per dataset row (as many as the dataset has rows), shown beside the top rows and in explain. Without it, a dataset stored with labels (its `labelled`) shows its own.' }),
  })
  .strict()
  .openapi('FeatureJobRequest');

export const FeatureJobSchema = z
  .object({
    id: z.string(),
    status: JobStatusSchema,
    modelId: z.string(),
    modelVersion: z.number().int(),
    datasetId: z.string(),
    rows: z.number().int(),
    labels: z.enum(['sent', 'dataset', 'none']).openapi({ description: 'Where the top rows\' labels come from: sent with the job, the dataset\'s own, or none.' }),
    phase: z.enum(['scan', 'samples', 'neighbours', 'done']).openapi({ description: 'scan: counts, means, maxima and top rows (a shard a step); samples: histograms and interval samples (a shard a step); neighbours: decoder cosines (a block of features a step).' }),
    step: z.number().int(),
    steps: z.number().int(),
    etaSeconds: z.number().nullable(),
    error: z.object({ type: z.string(), detail: z.string() }).nullable(),
    createdAt: z.string().openapi({ format: 'date-time' }),
    startedAt: z.string().nullable().openapi({ format: 'date-time' }),
    updatedAt: z.string().openapi({ format: 'date-time' }),
    finishedAt: z.string().nullable().openapi({ format: 'date-time' }),
  })
  .openapi('FeatureJob');

export const FeatureListQuerySchema = z.object({
  sort: z.enum(['index', 'frequency', 'max']).optional().openapi({ description: 'index (default), frequency or max (maxActivation), the last two largest first.' }),
  cursor: z.string().optional().openapi({ description: 'nextCursor of the page before.' }),
  limit: decimalInteger({ min: 1, max: 1000 }).optional().openapi({ description: 'Features a page (default 100, at most 1000).' }),
});

export const FeatureListSchema = z
  .object({
    modelId: z.string(),
    datasetId: z.string(),
    rows: z.number().int(),
    hiddenSize: z.number().int(),
    activeThreshold: z.number(),
    density: z.object({ dead: z.number().int(), low: z.number(), high: z.number(), counts: z.array(z.number().int()) }).openapi({ description: 'The feature-density histogram: features never active, and the others in 30 bins of log10 frequency over [low, high].' }),
    items: z.array(z.object({ index: z.number().int(), frequency: z.number(), meanActivation: z.number(), maxActivation: z.number() })),
    nextCursor: z.string().nullable(),
  })
  .openapi('FeatureStatisticsList');

export const ExplainRequestSchema = z
  .object({
    inputs: MatrixSchema.optional(),
    input: RowSchema.optional(),
    top: z.number().int().min(1).max(100).optional().openapi({ description: 'Features answered per row (default 5): its largest active codes.' }),
  })
  .strict()
  .refine((body) => (body.inputs === undefined) !== (body.input === undefined), { message: 'give exactly one of "inputs" (an array of rows) or "input" (one row)' })
  .openapi('ExplainRequest');

export const ExplainResponseSchema = z
  .object({
    rows: z.array(
      z.array(
        z.object({
          index: z.number().int(),
          value: z.number().openapi({ description: 'The row\'s code for this feature.' }),
          frequency: z.number(),
          maxActivation: z.number(),
          topLabels: z.array(z.string()).openapi({ description: 'Labels of the feature\'s top rows (empty strings when the job had no labels).' }),
          topRows: z.array(z.number().int()),
        }),
      ),
    ),
  })
  .openapi('ExplainResponse');
