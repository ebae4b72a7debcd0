/** One feature's statistics as the API answers them (a leaf: the models' and the features' schemas both use it). */
import { z } from '@hono/zod-openapi';

export const FeatureRowSchema = z.object({ row: z.number().int(), value: z.number(), label: z.string().optional() }).openapi('FeatureRow');

export const FeatureStatisticsSchema = z
  .object({
    index: z.number().int(),
    frequency: z.number().openapi({ description: 'Fraction of rows where the code is active (> the architecture\'s threshold), as the metrics count.' }),
    meanActivation: z.number(),
    maxActivation: z.number(),
    histogram: z.object({ min: z.number(), max: z.number(), counts: z.array(z.number().int()) }),
    top: z.array(FeatureRowSchema),
    quantileSamples: z.array(z.object({ lower: z.number(), upper: z.number(), count: z.number().int(), rows: z.array(FeatureRowSchema) })),
    neighbours: z.array(z.object({ index: z.number().int(), cosine: z.number() })),
  })
  .openapi('FeatureStatistics');
