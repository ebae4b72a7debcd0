/** The bodies of /v1/sweeps: the request (a grid or trials over one dataset) and the sweep as answered. */
import { z } from '@hono/zod-openapi';
import { SWEEP_METRICS } from '../../sweep/ranking.js';
import { JobStatusSchema, MetricsSchema, ModelConfigSchema, NameSchema, TrainingOptionsSchema } from '../schemas.js';

const OptionValueSchema = z.union([z.number(), z.string()]);

export const SweepRequestSchema = z
  .object({
    datasetId: z.string().openapi({ description: 'The dataset every trial trains on (POST /v1/datasets or an upload in parts).' }),
    validationDatasetId: z.string().optional().openapi({ description: 'A dataset of the training dataset\'s width that every trial validates on after every epoch (all its rows) instead of a validation split (not both); validationFvu and validationLoss can rank by it.' }),
    name: NameSchema.optional().openapi({ description: 'Name of the sweep; each trial\'s model is named "{name} {trial}".' }),
    config: ModelConfigSchema.optional().openapi({ description: 'Model options every trial shares.' }),
    training: TrainingOptionsSchema.optional().openapi({ description: 'Training options every trial shares.' }),
    grid: z
      .record(z.string(), z.array(OptionValueSchema).min(1))
      .optional()
      .openapi({ description: 'Option (table key) → its values; the trials are every combination, the first option varying slowest.', example: { hiddenSize: [32, 64], sparsityWeight: [0.1, 1] } }),
    trials: z
      .array(z.record(z.string(), OptionValueSchema))
      .min(1)
      .optional()
      .openapi({ description: 'Or the trials listed: each its options (table keys) over the shared ones.' }),
    validationSplit: z.number().min(0).lt(1).optional().openapi({ description: 'Shorthand for training.validationSplit: every trial holds out this fraction of the rows (seeded by row), so validationFvu and validationLoss can rank them.' }),
    metric: z.enum(SWEEP_METRICS).optional().openapi({ description: 'What the ranking orders by, lower first (default fvu; loss includes the penalties; validationFvu and validationLoss need a validation split or validationDatasetId).' }),
  })
  .strict()
  .refine((body) => (body.grid === undefined) !== (body.trials === undefined), { message: 'give exactly one of "grid" or "trials"' })
  .openapi('SweepRequest');

export const SweepTrialSchema = z
  .object({
    name: z.string().openapi({ description: 'Its number and options, e.g. "2-hiddenSize=32,sparsityWeight=1".' }),
    options: z.record(z.string(), OptionValueSchema),
    jobId: z.string().nullable().openapi({ description: 'Its job (GET /v1/jobs/{jobId}); null when its options were refused before it started.' }),
    status: JobStatusSchema,
    epoch: z.number().int(),
    totalEpochs: z.number().int(),
    loss: z.number().nullable(),
    metrics: MetricsSchema.nullable(),
    validationMetrics: MetricsSchema.nullable().openapi({ description: 'With training.validationSplit or validationDatasetId: its metrics on the held-out rows (or the validation dataset).' }),
    bestEpoch: z.number().int().nullable().openapi({ description: 'With early stopping (training.patience): the epoch whose weights its model keeps (the best so far while it runs); null without.' }),
    stoppedEarly: z.boolean().openapi({ description: 'Whether early stopping ended it before its last epoch.' }),
    modelId: z.string().nullable(),
    error: z.object({ type: z.string(), detail: z.string() }).nullable(),
    rank: z.number().int().nullable().openapi({ description: '1 for the best; null until it succeeded (or when it has no value for the metric).' }),
    best: z.boolean(),
    value: z.number().nullable().openapi({ description: 'Its value of the sweep\'s metric.' }),
  })
  .openapi('SweepTrial');

export const SweepSchema = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    datasetId: z.string(),
    validationDatasetId: z.string().nullable().openapi({ description: 'The dataset every trial validates on; null without one.' }),
    metric: z.enum(SWEEP_METRICS),
    status: z.enum(['running', 'finished', 'cancelled']).openapi({ description: 'running while any trial is queued or running.' }),
    best: z.string().nullable().openapi({ description: 'The best trial\'s name, once one succeeded.' }),
    trials: z.array(SweepTrialSchema).openapi({ description: 'Ranked: succeeded trials by the metric, then running ones, then failed and cancelled ones.' }),
    createdAt: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('Sweep');
