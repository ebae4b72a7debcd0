/**
 * /v1/datasets/uploads: a dataset too large for one request, uploaded in parts, one part a shard,
 * in any order, resumable, then completed (docs/JOBS.md). Each upload's state lives in its
 * Durable Object (./upload-object.ts); these handlers check the request and hand it over.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { shardCountFor, shardRowsFor } from '../../data/shard-source.js';
import type { AppEnv, Bindings } from '../env.js';
import { checkDatasetSize, limitExceeded, readLimits } from '../limits.js';
import { ApiError, validationHook } from '../problem.js';
import { isId, newId } from '../storage-keys.js';
import { shardByteLength, type ShardLayout } from './shard-codec.js';
import type { DatasetSummary } from './manifest.js';
import type { UploadView } from './upload-object.js';
import { uploadNotFound, type UploadProblem, type UploadResult } from './upload-problems.js';
import { abortRoute, completeRoute, labelsPartRoute, partRoute, startRoute, statusRoute } from './upload-routes.js';

function uploadStub(env: Bindings, id: string) {
  return env.UPLOADS.get(env.UPLOADS.idFromName(id));
}

function problemError({ status, type, title, detail, extra }: UploadProblem): ApiError {
  return new ApiError(status, { type, title, detail, ...(extra ? { extra } : {}) });
}

function valueOf<T>(result: UploadResult<T>): T {
  if (!result.ok) throw problemError(result.problem);
  return result.value;
}

const notFound = () => problemError(uploadNotFound());

export const uploads = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(startRoute, async (c) => {
    const limits = readLimits(c.env);
    const body = c.req.valid('json');
    const { rows, cols, type } = body;
    checkDatasetSize(limits, rows, cols);
    const scale = body.scale ?? 1;
    const offset = body.offset ?? 0;
    // Every byte must stand for a finite float32, or a uint8 part could hold a value float32 cannot.
    if (type === 'uint8' && ![Math.fround(offset), Math.fround(255 * scale + offset)].every(Number.isFinite)) {
      throw new ApiError(422, {
        type: 'invalid-option',
        title: 'Invalid option',
        detail: `scale = ${scale} and offset = ${offset} make byte 255 stand for ${255 * scale + offset}, which is not a finite float32.`,
        errors: [{ pointer: '/scale', detail: 'bytes must stand for finite float32 values' }],
      });
    }
    const shardRows = shardRowsFor(cols);
    const layout: ShardLayout = { rows, cols, type, scale, offset, shardRows, shardCount: shardCountFor(rows, shardRows) };
    const partBytes = shardByteLength(layout, 0);
    if (partBytes > limits.maxPartBytes) {
      throw limitExceeded('maxPartBytes', limits, `A part of ${shardRows} rows × ${cols} columns of ${type} is ${partBytes} bytes; it`);
    }
    const id = newId();
    const view = await uploadStub(c.env, id).create({ id, name: body.name ?? null, layout, labelled: body.labels === true });
    return c.json(view, 201, { location: `/v1/datasets/uploads/${id}` });
  })
  .openapi(partRoute, async (c) => {
    const { id, n } = c.req.valid('param');
    if (!isId(id)) throw notFound();
    const bytes = await c.req.arrayBuffer();
    // (RPC stubs lose the result's generic type; the object answers exactly these.)
    const result = (await uploadStub(c.env, id).putPart(n, bytes)) as UploadResult<UploadView>;
    return c.json(valueOf(result), 200);
  })
  .openapi(labelsPartRoute, async (c) => {
    const { id, n } = c.req.valid('param');
    if (!isId(id)) throw notFound();
    const bytes = await c.req.arrayBuffer();
    const result = (await uploadStub(c.env, id).putLabels(n, bytes)) as UploadResult<UploadView>;
    return c.json(valueOf(result), 200);
  })
  .openapi(statusRoute, async (c) => {
    const { id } = c.req.valid('param');
    const view = isId(id) ? await uploadStub(c.env, id).view() : null;
    if (!view) throw notFound();
    return c.json(view, 200);
  })
  .openapi(completeRoute, async (c) => {
    const { id } = c.req.valid('param');
    if (!isId(id)) throw notFound();
    const summary = valueOf((await uploadStub(c.env, id).complete()) as UploadResult<DatasetSummary>);
    return c.json(summary, 201, { location: `/v1/datasets/${id}` });
  })
  .openapi(abortRoute, async (c) => {
    const { id } = c.req.valid('param');
    if (!isId(id)) throw notFound();
    valueOf(await uploadStub(c.env, id).abort());
    return c.body(null, 204);
  });
