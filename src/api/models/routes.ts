/**
 * The route definitions of /v1/models: paths, auth, body limits, request schemas and responses.
 * The OpenAPI document and the typed `hc` client both come from these.
 */
import { architectureModule, ARCHITECTURES } from '../../architectures/registry.js';
import { SAE_FORMAT_NAMES, type SaeFormatName } from '../../sae-import/registry.js';
import { WEIGHT_DTYPES } from '../../model/weight-dtype.js';
import { createRoute, z } from '@hono/zod-openapi';
import { decimalInteger } from '../query-numbers.js';
import { requireAccess } from '../auth.js';
import { limitBody } from '../body-limit.js';
import { refuseDeepModelJson } from '../json-depth-limit.js';
import {
  ContinueTrainingRequestSchema,
  DecodeRequestSchema,
  DecodeResponseSchema,
  EncodeRequestSchema,
  EncodeResponseSchema,
  FeatureParamsSchema,
  FeatureResponseSchema,
  SparseEncodeResponseSchema,
  ExportQuerySchema,
  InputsRequestSchema,
  ListQuerySchema,
  MetricsSchema,
  ModelDetailSchema,
  ModelFileSchema,
  ModelIdParamsSchema,
  ModelListSchema,
  NameSchema,
  ReconstructResponseSchema,
  TfjsExportQuerySchema,
  TrainQuerySchema,
  TrainRequestSchema,
  TrainResponseSchema,
} from '../schemas.js';
import { accessErrors, inputErrors, locationHeader, notFoundResponse, problem, security } from '../openapi.js';

const notFound = notFoundResponse('model');

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
    201: { description: 'The trained model.', headers: locationHeader('model'), content: { 'application/json': { schema: TrainResponseSchema } } },
    ...accessErrors.write,
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
    ...accessErrors.read,
    422: inputErrors[422],
  },
});

/** The binary model file (safetensors layout, docs/MODEL-FORMAT.md) in the OpenAPI document. */
const BinaryModelFileSchema = z.string().openapi({ format: 'binary', description: 'The binary model file (safetensors layout).' });

export const importRoute = createRoute({
  method: 'post',
  path: '/import',
  summary: 'Import a model file, or an SAE of another library',
  description:
    'Stores a model file (as exported, either form) under a new id. `application/json`: the JSON form. `application/octet-stream`: either form, told apart by content (the binary form, or JSON text), or an SAE written by SAELens, sparsify, Gemma Scope, Llama Scope, dictionary_learning or OpenAI\'s sparse_autoencoder: a zip of its folder (or one .pt / .npz), its format found from the files or named by `format` (docs/IMPORT.md). `application/zip`: such a zip. A bad file is refused with 422 naming the file and the field, before anything is stored. Its size is bounded by MAX_MODEL_BYTES (413 above).',
  tags: ['models'],
  security,
  middleware: [requireAccess('write'), limitBody('maxModelBytes'), refuseDeepModelJson()] as const,
  request: {
    query: z.object({
      name: NameSchema.optional(),
      format: z.enum(SAE_FORMAT_NAMES as [SaeFormatName, ...SaeFormatName[]]).optional().openapi({ description: 'The SAE\'s format when the body is another library\'s (default: found from its files).' }),
      dtype: z.enum(WEIGHT_DTYPES).optional().openapi({ description: 'The weight matrices\' dtype to store: f32, bf16 (half the bytes) or int8 (a quarter, one scale per hidden unit). Default: f32 for another library\'s SAE, the file\'s own for a model file.' }),
    }),
    body: {
      content: {
        'application/json': { schema: ModelFileSchema },
        'application/octet-stream': { schema: BinaryModelFileSchema },
        'application/zip': { schema: z.string().openapi({ format: 'binary', description: 'A zip of an SAE folder (docs/IMPORT.md).' }) },
      },
      // Either media type (the JSON one alone is validated by schema); the handler refuses no body.
      required: false,
    },
  },
  responses: {
    201: { description: 'The imported model.', headers: locationHeader('model'), content: { 'application/json': { schema: ModelDetailSchema } } },
    ...accessErrors.write,
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
    ...accessErrors.read,
    ...notFound,
  },
});

export const exportRoute = createRoute({
  method: 'get',
  path: '/{id}/export',
  summary: 'Export the model file, or the model as ONNX',
  description:
    '`format=onnx` gives the encoder as an ONNX graph (opset 13, input in the training data\'s scale, output the codes; `whole=true` adds the decoder and the reconstruction in the same scale).',
  tags: ['models'],
  security,
  middleware: [requireAccess('read')] as const,
  request: { params: ModelIdParamsSchema, query: ExportQuerySchema },
  responses: {
    200: {
      description: 'The model file (format "edge-sae", version 1, or 2 for imported models) in the form asked for (json or safetensors), with format=onnx the ONNX model, with format=saelens or sparsify a zip of that library\'s folder.',
      content: {
        'application/json': { schema: ModelFileSchema },
        'application/octet-stream': { schema: BinaryModelFileSchema },
        'application/zip': { schema: z.string().openapi({ format: 'binary' }) },
      },
    },
    ...accessErrors.read,
    422: inputErrors[422],
    ...notFound,
  },
});

/** The architectures a TF.js layers model holds, and those it refuses (their modules' plans). */
const TFJS_LAYERS = ARCHITECTURES.filter((name) => architectureModule(name).tfjsLayers.kind === 'dense');
const REFUSED = ARCHITECTURES.filter((name) => architectureModule(name).tfjsLayers.kind === 'refused');

const tfjsDescription =
  'A TF.js layers model: `tf.loadLayersModel(\'…/v1/models/{id}/export/tfjs/model.json\', { requestInit: { headers: { authorization } } })` fetches model.json, then weights.bin beside it (TF.js carries the query string, so `?whole=true` reaches both). ' +
  `${TFJS_LAYERS.join(' and ')} models; a ${REFUSED.join(' or ')} model is 422 (no built-in TF.js layer computes its codes: export it as ONNX).`;

export const tfjsModelRoute = createRoute({
  method: 'get',
  path: '/{id}/export/tfjs/model.json',
  summary: 'Export the model as a TF.js layers model (model.json)',
  description: tfjsDescription,
  tags: ['models'],
  security,
  middleware: [requireAccess('read')] as const,
  request: { params: ModelIdParamsSchema, query: TfjsExportQuerySchema },
  responses: {
    200: { description: 'The model.json (Keras topology and weights manifest).', content: { 'application/json': { schema: z.object({}).passthrough() } } },
    ...accessErrors.read,
    422: inputErrors[422],
    ...notFound,
  },
});

export const tfjsWeightsRoute = createRoute({
  method: 'get',
  path: '/{id}/export/tfjs/weights.bin',
  summary: 'The weights file of the TF.js layers model',
  description: tfjsDescription,
  tags: ['models'],
  security,
  middleware: [requireAccess('read')] as const,
  request: { params: ModelIdParamsSchema, query: TfjsExportQuerySchema },
  responses: {
    200: { description: 'The weights, little-endian float32 in the manifest\'s order.', content: { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } } },
    ...accessErrors.read,
    422: inputErrors[422],
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
    ...accessErrors.write,
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
  responses: { 204: { description: 'Deleted.' }, ...accessErrors.write, ...notFound },
});

const inputsBody = {
  body: { content: { 'application/json': { schema: InputsRequestSchema } }, required: true },
};

/** The binary codes form (src/model/codes-binary.ts; docs/API.md, Binary answers). */
const BinaryCodesSchema = z.string().openapi({
  format: 'binary',
  description:
    'Little-endian, 4-byte aligned. A 16-byte header: bytes 0–3 the ASCII magic `ESSC` (sparse) or `ESDC` (dense), u32 rows, u32 h, u32 entries (sparse: the total (index, value) pairs; dense: 0). ' +
    'Sparse, after it: u32 count[rows], u32 index[entries], f32 value[entries], row after row in the answer\'s order. Dense, after it: f32 code[rows × h], row-major.',
});

export const encodeRoute = createRoute({
  method: 'post',
  path: '/{id}/encode',
  summary: 'Encode rows into hidden codes (dense, or each row\'s largest features)',
  description:
    'Without `top` or `threshold`: `codes`, every feature of every row. With `top: K`: each row\'s K largest features as `features` (value descending, ties by index ascending); with `threshold: t`: the features above t; with both, the K largest above t. ' +
    'Send `Accept: application/octet-stream` for the binary form (many rows: no JSON numbers), sparse or dense as asked.',
  tags: ['inference'],
  security,
  middleware: [requireAccess('encode'), limitBody('maxBodyBytes')] as const,
  request: { params: ModelIdParamsSchema, body: { content: { 'application/json': { schema: EncodeRequestSchema } }, required: true } },
  responses: {
    200: {
      description: 'One row of codes per input row: `codes` (dense) or, with top or threshold, `features` (sparse); with Accept: application/octet-stream, the binary form of either.',
      content: {
        'application/json': { schema: z.union([EncodeResponseSchema, SparseEncodeResponseSchema]) },
        'application/octet-stream': { schema: BinaryCodesSchema },
      },
    },
    ...accessErrors.read,
    ...inputErrors,
    ...notFound,
  },
});

export const decodeRoute = createRoute({
  method: 'post',
  path: '/{id}/decode',
  summary: 'Decode codes into reconstructions (sparse codes read only their decoder rows)',
  description:
    '`features`: sparse codes as encode with top or threshold answers them; only the decoder rows they name are read from storage. `codes`: dense codes, hiddenSize numbers a row. `application/octet-stream`: either in the binary form encode answers (`ESSC` sparse, `ESDC` dense). The answer is in the caller\'s original scale, as reconstruct\'s.',
  tags: ['inference'],
  security,
  middleware: [requireAccess('encode'), limitBody('maxBodyBytes')] as const,
  request: {
    params: ModelIdParamsSchema,
    body: {
      content: { 'application/json': { schema: DecodeRequestSchema }, 'application/octet-stream': { schema: BinaryCodesSchema } },
      // Either media type (the JSON one alone is validated by schema); the handler refuses no body.
      required: false,
    },
  },
  responses: {
    200: { description: 'One output row per row of codes.', content: { 'application/json': { schema: DecodeResponseSchema } } },
    ...accessErrors.read,
    ...inputErrors,
    ...notFound,
    409: problem('The model was retrained or deleted while this request read it.'),
  },
});

export const featureRoute = createRoute({
  method: 'get',
  path: '/{id}/features/{j}',
  summary: 'One feature: its decoder row (the direction it steers), encoder bias and threshold, and its statistics',
  description: 'Reads only feature j\'s bytes of the stored model. The encoder column is not given: the encoder is stored [inputs, features], so a column is inputSize reads apart (export the model for it). `statistics`: the feature\'s statistics from the model\'s last features job (POST /v1/models/{id}/features), or null.',
  tags: ['inference'],
  security,
  middleware: [requireAccess('encode')] as const,
  request: { params: FeatureParamsSchema },
  responses: {
    200: { description: 'Feature j.', content: { 'application/json': { schema: FeatureResponseSchema } } },
    ...accessErrors.read,
    422: inputErrors[422],
    404: problem('No model with this id, or the model has no feature j (j ≥ hiddenSize).'),
    409: problem('The model was retrained or deleted while this request read it.'),
  },
});

export const reconstructRoute = createRoute({
  method: 'post',
  path: '/{id}/reconstruct',
  summary: 'Reconstruct rows',
  tags: ['inference'],
  security,
  middleware: [requireAccess('encode'), limitBody('maxBodyBytes')] as const,
  request: { params: ModelIdParamsSchema, ...inputsBody },
  responses: {
    200: { description: 'Reconstructions and per-row squared errors.', content: { 'application/json': { schema: ReconstructResponseSchema } } },
    ...accessErrors.read,
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
  middleware: [requireAccess('encode'), limitBody('maxBodyBytes')] as const,
  request: { params: ModelIdParamsSchema, ...inputsBody },
  responses: {
    200: { description: 'The metrics of docs/SPEC.md section 2 on these rows.', content: { 'application/json': { schema: MetricsSchema } } },
    ...accessErrors.read,
    ...inputErrors,
    ...notFound,
  },
});

const ShardParamsSchema = z.object({
  id: z.string().openapi({ param: { name: 'id', in: 'path' }, example: 'q3x7w2mbn4d5kfy6hj2a7c5v3t4rplzs' }),
  k: decimalInteger().openapi({ param: { name: 'k', in: 'path', required: true }, example: 0, description: 'The shard, 0 to shards − 1, in column order.' }),
});

export const restartShardRoute = createRoute({
  method: 'post',
  path: '/{id}/shards/{k}/restart',
  summary: 'Restart one shard of a sharded encoder',
  description:
    'A model whose encoder is larger than ENCODE_SHARD_BYTES is encoded by shards, one Durable Object per column slice (docs/ENCODING.md, Sharded encoders). This drops shard k as a crash would: encodes in flight on it answer 503 shard-unavailable (Retry-After), and the next encode reloads its slice from the stored model. For operators, and the e2e test of a shard killed mid-request.',
  tags: ['inference'],
  security,
  middleware: [requireAccess('write')] as const,
  request: { params: ShardParamsSchema },
  responses: {
    202: {
      description: 'The shard was restarted.',
      content: { 'application/json': { schema: z.object({ shard: z.number().int(), shards: z.number().int(), columns: z.tuple([z.number().int(), z.number().int()]).openapi({ description: 'The shard\'s feature columns [from, to).' }) }) } },
    },
    ...accessErrors.write,
    422: inputErrors[422],
    404: problem('No model with this id, the model is not sharded, or it has no shard k.'),
  },
});
