/**
 * /v1/models: train, list, read, export, import, continue training, delete, and the inference
 * routes (encode, reconstruct, evaluate). Validation happens in the route definitions; the
 * handlers only translate between HTTP and the model service.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { matrixToRows, parseCsv, toMatrix, type Matrix } from '../../data/index.js';
import type { ModelConfig, TrainingOptions } from '../../model/config.js';
import { MODEL_OPTIONS, TRAINING_OPTIONS } from '../../model/options.js';
import { modelFileForm } from '../../model/model-bytes.js';
import { toBinaryModelFile } from '../../model/model-file-binary.js';
import { toModelFile } from '../../model/model-file.js';
import { exportSae } from '../../sae-import/export.js';
import { zipSync } from 'fflate';
import type { AppEnv } from '../env.js';
import { pageLimit } from '../page-limit.js';
import { ApiError, validationHook } from '../problem.js';
import { mediaTypeProblem } from '../media-types.js';
import { numericHeaderWarningOf } from '../../data/numeric-header.js';
import type { DecodeRequestSchema, TrainQuerySchema, TrainRequestSchema } from '../schemas.js';
import type { z } from '@hono/zod-openapi';
import {
  continueTrainingRoute,
  decodeRoute,
  deleteRoute,
  featureRoute,
  encodeRoute,
  evaluateRoute,
  exportRoute,
  getRoute,
  importRoute,
  listRoute,
  reconstructRoute,
  restartShardRoute,
  tfjsModelRoute,
  tfjsWeightsRoute,
  trainRoute,
} from './routes.js';
import { onnxExportResponse, tfjsExportResponse } from './runtime-exports.js';
import { modelNotFound, ModelService } from './service.js';
import { limitExceeded } from '../limits.js';
import { encodeSharded, encodeTarget, restartShard, shardedModel } from '../shards/encode.js';
import { decodeCodes, readFeature } from './sparse-service.js';
import { featureStatisticsOf } from '../features/store.js';
import { checkSelection, selectSparse, toFeatureLists } from '../../model/sparse-codes.js';
import { codesFromBytes, denseCodesToBytes, sparseCodesToBytes } from '../../model/codes-binary.js';
import { withoutUndefined } from '../../util/defined.js';

const DEFAULT_PAGE_SIZE = 20;

/** Where a created model is (the Location of a 201). */
const modelLocation = (id: string) => `/v1/models/${id}`;

/** A 415 for a body without a content type, naming what `route` takes (its declared media types). */
const noMediaType = (route: { request: { body: { content: Record<string, unknown> } } }) =>
  new ApiError(415, mediaTypeProblem('', Object.keys(route.request.body.content)));

/**
 * Whether an Accept header asks for the binary codes form: it names application/octet-stream
 * (without q=0). Absent, `*\/*` or JSON: the JSON answer.
 */
export function acceptsBinary(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((range) => {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    return type === 'application/octet-stream' && !params.some((param) => /^q=0(\.0*)?$/.test(param));
  });
}

/** The rows of an inference request as a Matrix: `inputs`, or the single row `input`. */
export function inputsOf(body: { inputs?: unknown; input?: unknown }): { matrix: Matrix; source: string } {
  if (body.inputs !== undefined) return { matrix: toMatrix(body.inputs, 'inputs'), source: 'inputs' };
  return { matrix: toMatrix([body.input], 'input'), source: 'input' };
}

/** The options of a text/csv body, from its query, split as the options table splits them. */
function csvOptions(query: z.infer<typeof TrainQuerySchema>): {
  config: Partial<ModelConfig>;
  training: Partial<TrainingOptions>;
} {
  const pick = (keys: readonly string[]) => withoutUndefined(Object.fromEntries(keys.map((key) => [key, (query as Record<string, unknown>)[key]])));
  return {
    config: pick(Object.keys(MODEL_OPTIONS)) as Partial<ModelConfig>,
    training: pick(Object.keys(TRAINING_OPTIONS)) as Partial<TrainingOptions>,
  };
}

export const models = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(trainRoute, async (c) => {
    const service = new ModelService(c.env);
    const mediaType = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    const query = c.req.valid('query');
    if (mediaType === 'text/csv') {
      const header = query.header === undefined || query.header === 'auto' ? 'auto' : query.header === 'true';
      const csv = parseCsv(await c.req.text(), 'text/csv body', header);
      const { config, training } = csvOptions(query);
      // parseCsv has already checked every cell; hand the rows on as a Matrix.
      const result = await service.trainNew({ data: csv as Matrix, source: 'text/csv body', name: query.name, config, training });
      // A first row of numbers is data by the CSV rules; one that looks like a header is said so (auto only: a caller who said header=false meant it).
      const warning = header === 'auto' ? numericHeaderWarningOf(csv, 'the text/csv body', 'send ?header=true to take it as the header') : null;
      return c.json({ ...result, ...(warning ? { warnings: [warning] } : {}) }, 201, { location: modelLocation(result.id) });
    }
    if (mediaType === '') throw noMediaType(trainRoute);
    // Declared as JSON or text/csv; the text/csv case returned above.
    const body = c.req.valid('json') as z.infer<typeof TrainRequestSchema>;
    const result = await service.trainNew({
      data: body.data,
      source: 'data',
      name: body.name ?? query.name,
      config: body.config,
      training: body.training,
    });
    return c.json(result, 201, { location: modelLocation(result.id) });
  })
  .openapi(listRoute, async (c) => {
    const service = new ModelService(c.env);
    const { limit: asked, cursor } = c.req.valid('query');
    const limit = pageLimit(asked, DEFAULT_PAGE_SIZE, service.limits.maxListLimit);
    return c.json(await service.store.list(limit, cursor), 200);
  })
  .openapi(importRoute, async (c) => {
    const service = new ModelService(c.env);
    const mediaType = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    const { name, format, dtype } = c.req.valid('query');
    if (mediaType === 'application/octet-stream' || mediaType === 'application/zip') {
      // Either form, or another library's SAE, told apart by content; the body limit has already bounded its size.
      const detail = await service.importFile(new Uint8Array(await c.req.arrayBuffer()), name, format, dtype);
      return c.json(detail, 201, { location: modelLocation(detail.id) });
    }
    if (mediaType === '') throw noMediaType(importRoute);
    const detail = await service.importFile(c.req.valid('json'), name, undefined, dtype);
    return c.json(detail, 201, { location: modelLocation(detail.id) });
  })
  .openapi(getRoute, async (c) => {
    const service = new ModelService(c.env);
    return c.json(await service.detail(c.req.valid('param').id), 200);
  })
  .openapi(exportRoute, async (c) => {
    const service = new ModelService(c.env);
    const { id } = c.req.valid('param');
    const { format: asked, whole, dtype } = c.req.valid('query');
    if (asked === 'onnx') return (await onnxExportResponse(service, id, whole === 'true')) as never;
    if (asked === 'saelens' || asked === 'sparsify') {
      // the folder SAELens or sparsify loads, as a zip (src/sae-import/export.ts)
      const stored = await service.modelFile(id);
      const files = exportSae({ toState: () => stored.state }, asked, { dtype: dtype ?? 'f32' });
      return c.body(zipSync(Object.fromEntries(files), { level: 0 }), 200, {
        'content-type': 'application/zip',
        'content-disposition': `attachment; filename="${id}-${asked}.zip"`,
        etag: `"${stored.etag}-${asked}-${dtype ?? 'f32'}"`,
      }) as never;
    }
    if (dtype !== undefined) {
      throw new ApiError(422, {
        type: 'validation-failed',
        title: 'Validation failed',
        detail: 'dtype applies to format=saelens and format=sparsify only.',
        errors: [{ parameter: 'dtype', detail: 'only with format=saelens or sparsify' }],
      });
    }
    if (whole !== undefined) {
      throw new ApiError(422, {
        type: 'validation-failed',
        title: 'Validation failed',
        detail: 'whole applies to format=onnx only: the model file always holds the whole model.',
        errors: [{ parameter: 'whole', detail: 'only with format=onnx' }],
      });
    }
    const format = asked ?? 'json';
    const stored = await service.modelFile(id);
    // The stored bytes when they are already in the form asked for (models are stored binary;
    // older ones as JSON), else the other form written from the decoded model. Each form has its
    // own entity tag. The typed response is the declared ModelFile, hence the cast.
    const asStored = modelFileForm(stored.bytes) === format;
    const body = asStored ? stored.bytes : format === 'json' ? JSON.stringify(toModelFile(stored.state)) : toBinaryModelFile(stored.state);
    return c.body(body, 200, {
      'content-type': format === 'json' ? 'application/json' : 'application/octet-stream',
      'content-disposition': `attachment; filename="${id}.${format}"`,
      etag: `"${stored.etag}-${format}"`,
    }) as never;
  })
  .openapi(tfjsModelRoute, async (c) => {
    const whole = c.req.valid('query').whole === 'true';
    return (await tfjsExportResponse(new ModelService(c.env), c.req.valid('param').id, whole, 'model.json')) as never;
  })
  .openapi(tfjsWeightsRoute, async (c) => {
    const whole = c.req.valid('query').whole === 'true';
    return (await tfjsExportResponse(new ModelService(c.env), c.req.valid('param').id, whole, 'weights.bin')) as never;
  })
  .openapi(continueTrainingRoute, async (c) => {
    const service = new ModelService(c.env);
    const { data, training } = c.req.valid('json');
    return c.json(await service.continueTraining(c.req.valid('param').id, data, training), 200);
  })
  .openapi(deleteRoute, async (c) => {
    const service = new ModelService(c.env);
    await service.delete(c.req.valid('param').id);
    return c.body(null, 204);
  })
  .openapi(encodeRoute, async (c) => {
    const service = new ModelService(c.env);
    const body = c.req.valid('json');
    const { matrix, source } = inputsOf(body);
    const selection = body.top !== undefined || body.threshold !== undefined ? { top: body.top, threshold: body.threshold } : null;
    const binary = acceptsBinary(c.req.header('accept'));
    const id = c.req.valid('param').id;
    // A model whose encoder is larger than ENCODE_SHARD_BYTES is encoded by its shards (src/api/shards).
    const target = await encodeTarget(c.env.MODELS, service.limits, id, async () => (await service.store.head(id)) ?? Promise.reject(modelNotFound(id)));
    if (target.sharded) {
      const { inputSize, hiddenSize } = target.sharded.plan;
      service.checkInputs(matrix, inputSize, source);
      if (selection !== null) checkSelection(selection, hiddenSize);
      // Dense codes of a sharded model are rows × h numbers (h in the tens of thousands): bounded as a request's numbers are.
      else if (matrix.rows * hiddenSize > service.limits.maxCells) throw limitExceeded('maxCells', service.limits, `Dense codes of ${matrix.rows} rows × ${hiddenSize} features (ask for top or threshold instead)`);
      const codes = await encodeSharded(c.env, service.limits, target.sharded, matrix, selection);
      if ('dense' in codes) return binary ? (c.body(denseCodesToBytes(codes.dense), 200, { 'content-type': 'application/octet-stream' }) as never) : c.json({ codes: matrixToRows(codes.dense) }, 200);
      return binary ? (c.body(sparseCodesToBytes(codes.sparse), 200, { 'content-type': 'application/octet-stream' }) as never) : c.json({ features: toFeatureLists(codes.sparse) }, 200);
    }
    // Encode reads only the encoder (service.withEncoder): a cold one never reads the decoder.
    const answer = await service.withEncoder(id, (model) => {
      service.checkInputs(matrix, model.inputSize, source);
      if (selection === null) {
        const codes = model.encode(matrix);
        return binary ? denseCodesToBytes(codes) : { codes: matrixToRows(codes) };
      }
      // top beyond h is refused before any work (422 naming /top).
      checkSelection(selection, model.hiddenSize);
      const sparse = selectSparse(model.encode(matrix), selection);
      return binary ? sparseCodesToBytes(sparse) : { features: toFeatureLists(sparse) };
    }, target.head);
    if (answer instanceof Uint8Array) return c.body(answer, 200, { 'content-type': 'application/octet-stream' }) as never;
    return c.json(answer, 200);
  })
  .openapi(decodeRoute, async (c) => {
    const service = new ModelService(c.env);
    const mediaType = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (mediaType === '') throw noMediaType(decodeRoute);
    // The binary form (ESSC or ESDC), read by content; the body limit has already bounded its size.
    const body = mediaType === 'application/octet-stream' ? codesFromBytes(new Uint8Array(await c.req.arrayBuffer())) : (c.req.valid('json') as z.infer<typeof DecodeRequestSchema>);
    const outputs = await decodeCodes(service, c.env.MODELS, c.req.valid('param').id, body);
    return c.json({ outputs: matrixToRows(outputs) }, 200);
  })
  .openapi(featureRoute, async (c) => {
    const service = new ModelService(c.env);
    const { id, j } = c.req.valid('param');
    const feature = await readFeature(service, c.env.MODELS, id, j);
    // Its statistics when a features job has finished for this version of the model (docs/FEATURES.md).
    const head = await service.store.head(id);
    const statistics = head === null ? null : await featureStatisticsOf(c.env.MODELS, id, head.summary.version, feature.feature);
    return c.json({ ...feature, statistics }, 200);
  })
  .openapi(restartShardRoute, async (c) => {
    const service = new ModelService(c.env);
    const { id, k } = c.req.valid('param');
    const head = await service.store.head(id);
    if (!head) throw modelNotFound(id);
    const sharded = await shardedModel(c.env.MODELS, head, service.limits.encodeShardBytes);
    if (!sharded) throw new ApiError(404, { type: 'model-not-found', title: 'Model not found', detail: `Model ${id} is not sharded (its encoder fits ENCODE_SHARD_BYTES = ${service.limits.encodeShardBytes}).` });
    const count = sharded.plan.shards.length;
    if (k >= count) throw new ApiError(404, { type: 'model-not-found', title: 'Model not found', detail: `Model ${id} has ${count} shards (0 to ${count - 1}); there is no shard ${k}.` });
    await restartShard(c.env, sharded, k);
    const { from, to } = sharded.plan.shards[k]!;
    return c.json({ shard: k, shards: count, columns: [from, to] as [number, number] }, 202);
  })
  .openapi(reconstructRoute, async (c) => {
    const service = new ModelService(c.env);
    const { matrix, source } = inputsOf(c.req.valid('json'));
    const result = await service.withModel(c.req.valid('param').id, 'auto', (model) => {
      service.checkInputs(matrix, model.inputSize, source);
      const { outputs, errors } = model.reconstruct(matrix);
      return { outputs: matrixToRows(outputs), errors: Array.from(errors) };
    });
    return c.json(result, 200);
  })
  .openapi(evaluateRoute, async (c) => {
    const service = new ModelService(c.env);
    const { matrix, source } = inputsOf(c.req.valid('json'));
    const metrics = await service.withModel(c.req.valid('param').id, 'auto', (model) => {
      service.checkInputs(matrix, model.inputSize, source);
      return model.evaluate(matrix);
    });
    return c.json(metrics, 200);
  });
