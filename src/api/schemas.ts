/**
 * The zod schemas of the HTTP API: the one source of request validation, of the OpenAPI document
 * and of the `hc` client's types. The options' schemas derive from the options table
 * (src/model/options.ts); value ranges are checked once, by the model's resolve (its ConfigError
 * becomes a 422 naming the field), and limits by src/api/limits.ts (413); the schemas here check
 * types and shapes. Data matrices are checked by src/data (a DataError names row and column), not
 * by zod, so a body of a million bad numbers costs one pass and one error, not a million issues.
 */
import { describeActive } from '../architectures/registry.js';
import { z } from '@hono/zod-openapi';
import { FeatureStatisticsSchema } from './features/statistics-schema.js';
import { MODEL_OPTIONS, TRAINING_OPTIONS } from '../model/options.js';
import { optionalQueryShape, optionalShape } from './option-schemas.js';
import { decimalInteger } from './query-numbers.js';

/** A rows × columns matrix of numbers; its cells are checked by the data module. */
export const MatrixSchema = z
  .custom<number[][]>((value) => Array.isArray(value), { message: 'must be an array of rows (arrays of numbers)' })
  .openapi({
    type: 'array',
    items: { type: 'array', items: { type: 'number' } },
    description: 'Rows of numbers, all of the same length.',
    example: [
      [0, 0.5, 1],
      [1, 0.25, 0],
    ],
  });

/** One row of numbers. */
export const RowSchema = z
  .custom<number[]>((value) => Array.isArray(value), { message: 'must be an array of numbers' })
  .openapi({ type: 'array', items: { type: 'number' }, example: [0, 0.5, 1] });

/** The model config and training options: derived from the options table (src/model/options.ts). */
export const ModelConfigSchema = z.object(optionalShape(MODEL_OPTIONS)).strict().openapi('ModelConfig');

export const TrainingOptionsSchema = z.object(optionalShape(TRAINING_OPTIONS)).strict().openapi('TrainingOptions');

export const NameSchema = z.string().min(1).max(200).openapi({ example: 'digits-sae' });

export const TrainRequestSchema = z
  .object({
    data: MatrixSchema,
    name: NameSchema.optional(),
    config: ModelConfigSchema.optional(),
    training: TrainingOptionsSchema.optional(),
  })
  .strict()
  .openapi('TrainRequest');

export const ContinueTrainingRequestSchema = z
  .object({ data: MatrixSchema, training: TrainingOptionsSchema.optional() })
  .strict()
  .openapi('ContinueTrainingRequest');

/** Options of a text/csv training body, as query parameters (numbers arrive as strings); unknown ones are refused. */
export const TrainQuerySchema = z
  .object({
    name: NameSchema.optional(),
    header: z.enum(['true', 'false', 'auto']).optional().openapi({ description: 'Whether the CSV has a header row: auto (the default) takes a first row without a number in it for one; true takes the first row whatever it holds (a header of numbers: years, column numbers); false takes it as data.' }),
    ...optionalQueryShape(MODEL_OPTIONS),
    ...optionalQueryShape(TRAINING_OPTIONS),
  })
  .strict();

/** `{ inputs: rows }` or `{ input: row }`. */
export const InputsRequestSchema = z
  .object({ inputs: MatrixSchema.optional(), input: RowSchema.optional() })
  .strict()
  .refine((body) => (body.inputs === undefined) !== (body.input === undefined), {
    message: 'give exactly one of "inputs" (an array of rows) or "input" (one row)',
  })
  .openapi('InputsRequest');

/** encode's body: the rows, and optionally which features of each row to answer (a sparse answer). */
export const EncodeRequestSchema = z
  .object({
    inputs: MatrixSchema.optional(),
    input: RowSchema.optional(),
    top: z.number().int().min(1).optional().openapi({ description: 'Answer each row\'s K largest features only (a whole number from 1 to the model\'s hiddenSize; a larger one is 422): `features`, value descending, ties by index ascending. Exactly K a row (zeros too, when fewer are active).' }),
    threshold: z.number().optional().openapi({ description: 'Answer only the features whose value is strictly above this (a finite number). With `top`: the K largest of those, so at most K a row.' }),
  })
  .strict()
  .refine((body) => (body.inputs === undefined) !== (body.input === undefined), {
    message: 'give exactly one of "inputs" (an array of rows) or "input" (one row)',
  })
  .openapi('EncodeRequest');

/** One row of a sparse answer: features and their values, in the same order. */
export const FeatureListSchema = z
  .object({
    indices: z.array(z.number().int()).openapi({ description: 'Feature (hidden unit) numbers, 0 to hiddenSize − 1.' }),
    values: z.array(z.number()).openapi({ description: 'Their codes, as many as indices.' }),
  })
  .openapi('FeatureList');

export const SparseEncodeResponseSchema = z
  .object({ features: z.array(FeatureListSchema).openapi({ description: 'One entry per input row: its selected features, value descending, ties by index ascending.' }) })
  .openapi('SparseEncodeResponse');

/** decode's body: sparse codes (encode's `features`), or dense codes. */
export const DecodeRequestSchema = z
  .object({
    features: z.array(FeatureListSchema).optional().openapi({ description: 'Sparse codes, as encode with top or threshold answers them: one { indices, values } per row (any order, each index at most once). Only the decoder rows they name are read.' }),
    codes: MatrixSchema.optional().openapi({ description: 'Dense codes: hiddenSize numbers a row.' }),
  })
  .strict()
  .refine((body) => (body.features === undefined) !== (body.codes === undefined), {
    message: 'give exactly one of "features" (sparse rows) or "codes" (dense rows)',
  })
  .openapi('DecodeRequest');

export const DecodeResponseSchema = z
  .object({ outputs: z.array(z.array(z.number())).openapi({ description: 'decode(codes) in the caller\'s original scale, one row per row of codes.' }) })
  .openapi('DecodeResponse');

export const FeatureParamsSchema = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: 'q3x7w2mbn4d5kfy6hj2a7c5v3t4rplzs' }),
  // Canonical decimal only ("01", "0x1", "+1" are 422 naming j), as every number in a path (query-numbers.ts).
  j: decimalInteger().openapi({ param: { name: 'j', in: 'path', required: true }, example: 42, description: 'The feature (hidden unit), 0 to hiddenSize − 1, in decimal digits.' }),
});

export const FeatureResponseSchema = z
  .object({
    feature: z.number().int(),
    decoder: z.array(z.number()).openapi({ description: 'Row j of the decoder W2 (inputSize numbers): the direction feature j adds to the reconstruction, in the model\'s scaled input space (before the inverse of its normalisation).' }),
    encoderBias: z.number().openapi({ description: 'b1[j], the encoder bias of feature j.' }),
    threshold: z.number().optional().openapi({ description: 'The threshold feature j\'s pre-activation must exceed to fire: jumprelu\'s θ[j]; batchtopk\'s and matryoshka\'s one θ shared by every feature. Absent for the other architectures.' }),
    statistics: FeatureStatisticsSchema.nullable().openapi({ description: 'Feature j\'s statistics (frequency, mean and max, histogram, top rows, interval samples, neighbours) from the model\'s last features job, or null when none has finished for this version of the model (docs/FEATURES.md).' }),
  })
  .openapi('Feature');

export const ModelIdParamsSchema = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: 'q3x7w2mbn4d5kfy6hj2a7c5v3t4rplzs' }),
});

const WholeSchema = z
  .enum(['true', 'false'])
  .optional()
  .openapi({ description: 'The whole autoencoder (input → reconstruction, in the data\'s scale) instead of the encoder (input → codes); default false.' });

export const ExportQuerySchema = z.object({
  format: z
    .enum(['json', 'safetensors', 'onnx', 'saelens', 'sparsify'])
    .optional()
    .openapi({ description: 'json (default): the JSON model file; safetensors: the binary one (docs/MODEL-FORMAT.md); onnx: an ONNX graph (opset 13) for other runtimes; saelens, sparsify: a zip of the folder SAELens\' SAE.load_from_disk or sparsify\'s SparseCoder.load_from_disk loads (docs/IMPORT.md).' }),
  dtype: z.enum(['f32', 'bf16']).optional().openapi({ description: 'saelens, sparsify: the weights\' dtype in the folder (default f32).' }),
  whole: WholeSchema,
});

export const TfjsExportQuerySchema = z.object({ whole: WholeSchema });

export const ListQuerySchema = z.object({
  limit: decimalInteger({ min: 1 }).optional().openapi({ description: 'Page size (default 20, at most MAX_LIST_LIMIT).' }),
  cursor: z.string().max(1024).optional().openapi({ description: 'The `cursor` of the previous page.' }),
});

export const MetricsSchema = z
  .object({
    loss: z.number(),
    reconstruction: z.number(),
    weightDecay: z.number(),
    sparsity: z.number(),
    meanActivation: z.number(),
    fvu: z.number().nullable().openapi({ description: 'Fraction of variance unexplained; null when the data has no variance.' }),
    explainedVariance: z.number().nullable().openapi({ description: '1 − fvu; null when fvu is.' }),
    l0: z.number().openapi({ description: `Mean number of active codes per row (active: ${describeActive()}).` }),
    deadUnits: z.number().int().openapi({ description: 'Hidden units never active on the data.' }),
    denseUnits: z.number().int().openapi({ description: 'Hidden units active on more than 10% of the rows.' }),
    rows: z.number().int().openapi({ description: 'Rows the metrics were computed on.' }),
  })
  .openapi('Metrics');

/** Where an imported model came from (src/model/source-metadata.ts), as the summary keeps it. */
export const ModelSourceSchema = z
  .object({
    format: z.string().openapi({ description: 'The format it was imported from (saelens, sparsify, gemma-scope, gemma-scope-2, llama-scope, dictionary-learning, openai).' }),
    library: z.string(),
    libraryVersion: z.string().optional(),
    architecture: z.string().optional().openapi({ description: 'The architecture as the source names it (standard, AutoEncoderTopK, …).' }),
    modelName: z.string().optional(),
    hookName: z.string().optional(),
    contextSize: z.number().int().optional(),
    neuronpediaId: z.string().optional(),
    dtype: z.string().optional().openapi({ description: 'The dtype its weights were stored in; edge-sae holds them as float32.' }),
  })
  .openapi('ModelSource');

export const ModelSummarySchema = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    inputSize: z.number().int(),
    hiddenSize: z.number().int(),
    source: ModelSourceSchema.optional().openapi({ description: 'Imported models: where they came from (POST /v1/models/import with an SAE folder); absent for models trained here.' }),
    version: z.number().int().openapi({ description: 'Increases with every training run.' }),
    createdAt: z.string().openapi({ format: 'date-time' }),
    updatedAt: z.string().openapi({ format: 'date-time' }),
  })
  .openapi('ModelSummary');

export const ModelDetailSchema = ModelSummarySchema.extend({
  config: z.record(z.string(), z.unknown()).openapi({ description: 'The model options of its architecture (ModelConfig); the options only other architectures use are left out (a sigmoid model has no k).' }),
  training: z.record(z.string(), z.unknown()),
  metrics: z.record(z.string(), z.unknown()).nullable(),
}).openapi('ModelDetail');

export const TrainResponseSchema = ModelDetailSchema.extend({
  backend: z.string().openapi({ description: 'The kernel backend that trained it.' }),
  metrics: MetricsSchema,
  lossHistory: z.array(z.number()),
  validationMetrics: MetricsSchema.nullable().openapi({ description: 'With training.validationSplit: the metrics on the held-out rows; null without.' }),
  bestEpoch: z.number().int().nullable().openapi({ description: 'With early stopping (training.patience): the epoch whose weights the model kept; null without.' }),
  warnings: z.array(z.string()).optional().openapi({ description: 'What the model was trained on that may not be what was meant (a text/csv body whose first row looks like a header of numbers, trained on as data); absent when there is nothing to say.' }),
}).openapi('TrainResponse');

export const ModelListSchema = z
  .object({
    models: z.array(ModelSummarySchema),
    cursor: z.string().nullable().openapi({ description: 'Pass as ?cursor= for the next page; null on the last.' }),
  })
  .openapi('ModelList');

export const ModelFileSchema = z
  .record(z.string(), z.unknown())
  .openapi('ModelFile', { description: 'The model file, format "edge-sae" version 1 (docs/SPEC.md section 3).' });

export const EncodeResponseSchema = z
  .object({ codes: z.array(z.array(z.number())).openapi({ description: 'Hidden activations, one row per input row.' }) })
  .openapi('EncodeResponse');

export const ReconstructResponseSchema = z
  .object({
    outputs: z.array(z.array(z.number())).openapi({ description: 'Reconstructions in the caller\'s original scale.' }),
    errors: z.array(z.number()).openapi({ description: 'Per-row squared error Σⱼ (outputᵢⱼ − inputᵢⱼ)², in the caller\'s scale, as the outputs are.' }),
  })
  .openapi('ReconstructResponse');

export const HealthSchema = z
  .object({
    status: z.literal('ok'),
    version: z.string(),
    backend: z.string().openapi({ description: 'The kernel backend "auto" chooses here.' }),
    report: z.unknown().openapi({ description: 'Why that backend: what was tried.' }),
  })
  .openapi('Health');

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z
      .array(z.object({ pointer: z.string().optional(), parameter: z.string().optional(), detail: z.string() }))
      .optional(),
  })
  .openapi('Problem');

// ---- datasets and jobs (docs/JOBS.md) ------------------------------------------------------

export const IdParamsSchema = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: 'q3x7w2mbn4d5kfy6hj2a7c5v3t4rplzs' }),
});

export const StorageTypeSchema = z.enum(['float32', 'uint8']).openapi({ description: 'How the shards store a value.' });

export const DatasetSchema = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    rows: z.number().int(),
    cols: z.number().int(),
    bytes: z.number().int().openapi({ description: 'Size of the stored shards (rows × cols × 4 as float32, × 1 as uint8).' }),
    format: z.enum(['csv', 'json', 'float32', 'uint8', 'codes']).openapi({ description: 'The form it was uploaded in; codes: written by a batch encode (POST /v1/models/{id}/encode-jobs).' }),
    type: StorageTypeSchema,
    scale: z.number().openapi({ description: 'A stored uint8 byte b stands for b·scale + offset (1 and 0 for float32).' }),
    offset: z.number(),
    shardRows: z.number().int().openapi({ description: 'Rows of every shard but the last: max(1, ⌊2²⁰ / cols⌋).' }),
    shardCount: z.number().int(),
    createdAt: z.string().openapi({ format: 'date-time' }),
    labelled: z.boolean().openapi({ description: 'Whether each row carries a label or text (a CSV `labelColumn`, JSON `labels`, or the labels parts of an upload): a features job over the dataset shows them beside its top rows.' }),
    warnings: z.array(z.string()).optional().openapi({ description: 'In the answer of an upload only: what was stored that may not be what was meant (a text/csv body whose first row looks like a header of numbers, stored as data); absent when there is nothing to say.' }),
  })
  .openapi('Dataset');

/** POST /v1/datasets/uploads: the shape and storage type of a dataset to upload in parts. */
export const UploadRequestSchema = z
  .object({
    name: NameSchema.optional(),
    rows: z.number().int().min(1),
    cols: z.number().int().min(1),
    type: StorageTypeSchema,
    scale: z.number().optional().openapi({ description: 'uint8 only (default 1): a byte b stands for b·scale + offset.' }),
    offset: z.number().optional().openapi({ description: 'uint8 only (default 0).' }),
    labels: z.boolean().optional().openapi({ description: 'true: each row carries a label or text, sent as labels parts (PUT …/labels/{n}, one a part) beside the numbers; completing needs them all (default false).' }),
  })
  .strict()
  .refine((body) => body.type === 'uint8' || (body.scale === undefined && body.offset === undefined), {
    message: 'scale and offset are for type "uint8" only',
    path: ['scale'],
  })
  .openapi('UploadRequest');

export const UploadSchema = z
  .object({
    id: z.string().openapi({ description: 'The upload\'s id, which is also the id of the dataset it becomes.' }),
    name: z.string().nullable(),
    rows: z.number().int(),
    cols: z.number().int(),
    type: StorageTypeSchema,
    scale: z.number(),
    offset: z.number(),
    shardRows: z.number().int().openapi({ description: 'Rows of every part but the last: part n holds rows n·shardRows … (0-based).' }),
    partCount: z.number().int(),
    partBytes: z.number().int().openapi({ description: 'Bytes of every part but the last.' }),
    lastPartBytes: z.number().int(),
    received: z.array(z.number().int()).openapi({ description: 'The parts that have arrived, in order.' }),
    missing: z.number().int().openapi({ description: 'How many parts have not arrived.' }),
    labelled: z.boolean().openapi({ description: 'Whether the upload carries labels (started with "labels": true).' }),
    labelsReceived: z.array(z.number().int()).optional().openapi({ description: 'A labelled upload: the labels parts that have arrived, in order.' }),
    labelsMissing: z.number().int().optional().openapi({ description: 'A labelled upload: how many labels parts have not arrived.' }),
    status: z.enum(['open', 'completed']),
    createdAt: z.string().openapi({ format: 'date-time' }),
    expiresAt: z.string().openapi({ format: 'date-time', description: 'When an open upload and its parts are deleted; each part that arrives moves it on.' }),
  })
  .openapi('Upload');

export const UploadPartParamsSchema = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: 'q3x7w2mbn4d5kfy6hj2a7c5v3t4rplzs' }),
  // A path parameter is always present (OpenAPI 3.1 requires `required: true`), and an integer.
  // Only the canonical decimal form: a number coerced from "0x1", "+1", "1e0", "00" or "-0" would
  // name a part the client did not write.
  n: decimalInteger({ max: 999_999_999 }).openapi({ param: { name: 'n', in: 'path', required: true }, type: 'integer', minimum: 0, example: 0, description: 'The part number, 0-based, in decimal digits: part n is shard n.' }),
});

export const DatasetListSchema = z
  .object({ datasets: z.array(DatasetSchema), cursor: z.string().nullable() })
  .openapi('DatasetList');

/** Query of POST /v1/datasets: the shape of a binary body, the header of a CSV one, a name. */
export const DatasetUploadQuerySchema = z.object({
  name: NameSchema.optional(),
  rows: decimalInteger({ min: 1 }).optional().openapi({ description: 'Rows of an application/octet-stream body (required there).' }),
  cols: decimalInteger({ min: 1 }).optional().openapi({ description: 'Columns of an application/octet-stream body (required there).' }),
  labelColumn: z.string().min(1).max(200).optional().openapi({ description: 'text/csv only: the header\'s name of a column of labels (one label or text a row, kept beside the numbers; not a number column). A JSON body carries labels as { "data": rows, "labels": [...] }.' }),
});

export const JobRequestSchema = z
  .object({
    datasetId: z.string().optional().openapi({ description: 'A dataset from POST /v1/datasets.' }),
    data: MatrixSchema.optional().openapi({ description: 'Or the data inline (bounded by MAX_BODY_BYTES).' }),
    validationDatasetId: z.string().optional().openapi({ description: 'A dataset of the training data\'s width to validate on after every epoch (all its rows) instead of training.validationSplit (not both); training.patience watches its loss. Not part of the fitted scaling.' }),
    name: NameSchema.optional().openapi({ description: 'Name of the model the job creates.' }),
    config: ModelConfigSchema.optional(),
    training: TrainingOptionsSchema.optional(),
  })
  .strict()
  .refine((body) => (body.datasetId === undefined) !== (body.data === undefined), {
    message: 'give exactly one of "datasetId" or "data"',
  })
  .openapi('JobRequest');

export const JobStatusSchema = z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled']);

export const JobSchema = z
  .object({
    id: z.string(),
    name: z.string().nullable(),
    status: JobStatusSchema,
    datasetId: z.string().nullable().openapi({ description: 'null when the data was sent inline.' }),
    validationDatasetId: z.string().nullable().openapi({ description: 'The dataset it validates on after every epoch; null without one.' }),
    rows: z.number().int(),
    cols: z.number().int(),
    hiddenSize: z.number().int(),
    backend: z.string().nullable().openapi({ description: 'The kernel backend training it (once running).' }),
    epoch: z.number().int().openapi({ description: 'Epochs finished.' }),
    totalEpochs: z.number().int(),
    step: z.number().int().openapi({ description: 'Optimizer steps taken.' }),
    totalSteps: z.number().int(),
    loss: z.number().nullable().openapi({ description: 'Loss of the latest finished epoch.' }),
    lossHistory: z.array(z.number()).optional().openapi({ description: 'One loss per finished epoch (not in progress events).' }),
    validationLoss: z.number().nullable().openapi({ description: 'With training.validationSplit or validationDatasetId: the loss on the held-out rows after the latest finished epoch.' }),
    validationHistory: z.array(z.number()).optional().openapi({ description: 'With training.validationSplit or validationDatasetId: one validation loss per finished epoch (not in progress events).' }),
    etaSeconds: z.number().nullable().openapi({ description: 'Estimated seconds to go, from the measured time per step.' }),
    slices: z.number().int().openapi({ description: 'Slices (alarms) run so far.' }),
    modelId: z.string().nullable().openapi({ description: 'The trained model, once succeeded (use /v1/models/{modelId}).' }),
    metrics: MetricsSchema.nullable().openapi({ description: 'The trained model\'s metrics on its training data, once succeeded.' }),
    validationMetrics: MetricsSchema.nullable().openapi({ description: 'With training.validationSplit or validationDatasetId: the model\'s metrics on the held-out rows (or the validation dataset), once succeeded.' }),
    bestEpoch: z.number().int().nullable().openapi({ description: 'With training.patience (early stopping): the epoch with the best validation loss so far; once succeeded, the epoch whose weights, Adam state and dead-unit counts the model kept (the library\'s and the CLI\'s bestEpoch). null without patience.' }),
    stoppedEarly: z.boolean().openapi({ description: 'Whether early stopping ended the run before its last epoch (then epoch < totalEpochs and step < totalSteps once succeeded).' }),
    error: z
      .object({ type: z.string(), detail: z.string() })
      .nullable()
      .openapi({ description: 'Why the job failed.' }),
    createdAt: z.string().openapi({ format: 'date-time' }),
    startedAt: z.string().nullable().openapi({ format: 'date-time' }),
    updatedAt: z.string().openapi({ format: 'date-time' }),
    finishedAt: z.string().nullable().openapi({ format: 'date-time' }),
  })
  .openapi('Job');
