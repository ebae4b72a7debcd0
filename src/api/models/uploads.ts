/**
 * /v1/models/uploads: a model file too large for one request, uploaded in parts to one R2 object
 * (docs/API.md, Models uploaded in parts). Each upload's state lives in its Durable Object
 * (./upload-object.ts); these handlers check the request and hand it over.
 *
 * The shape, for other callers (a sharded import reuses it): POST / {bytes, name?, partBytes?} →
 * 201 {id, partCount, partBytes, lastPartBytes, …}; PUT /{id}/parts/{n} (octet-stream, part 0
 * first) → 200 the upload; POST /{id}/complete → 201 the model (ModelDetail, id = the upload's);
 * GET /{id}; DELETE /{id} → 204.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv, Bindings } from '../env.js';
import { limitExceeded, readLimits } from '../limits.js';
import { ApiError, validationHook } from '../problem.js';
import { isId, newId } from '../storage-keys.js';
import { uploadNotFound, type UploadProblem, type UploadResult } from '../datasets/upload-problems.js';
import type { ModelDetail } from './service.js';
import type { ModelUploadView } from './upload-object.js';
import { partLayout, R2_MAX_PARTS, R2_MIN_PART_BYTES } from './upload-layout.js';
import { abortModelUploadRoute, completeModelUploadRoute, modelPartRoute, modelUploadStatusRoute, startModelUploadRoute } from './upload-routes.js';

function uploadStub(env: Bindings, id: string) {
  return env.MODEL_UPLOADS.get(env.MODEL_UPLOADS.idFromName(id));
}

function valueOf<T>(result: UploadResult<T>): T {
  if (result.ok) return result.value;
  const { status, type, title, detail, extra }: UploadProblem = result.problem;
  throw new ApiError(status, { type, title, detail, ...(extra ? { extra } : {}), ...(status === 503 ? { headers: { 'retry-after': '1' } } : {}) });
}

function notFound(): ApiError {
  const { status, type, title, detail } = uploadNotFound();
  return new ApiError(status, { type, title, detail });
}

function invalidOption(pointer: string, detail: string): ApiError {
  return new ApiError(422, { type: 'invalid-option', title: 'Invalid option', detail, errors: [{ pointer, detail }] });
}

export const modelUploads = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(startModelUploadRoute, async (c) => {
    const limits = readLimits(c.env);
    const body = c.req.valid('json');
    const partBytes = body.partBytes ?? limits.maxPartBytes - (limits.maxPartBytes % 8);
    if (partBytes % 8 !== 0) throw invalidOption('/partBytes', `partBytes = ${partBytes} is not a multiple of 8 (a value must never straddle two parts)`);
    if (partBytes > limits.maxPartBytes) throw limitExceeded('maxPartBytes', limits, `partBytes = ${partBytes}`);
    const { partCount, lastPartBytes } = partLayout(body.bytes, partBytes);
    if (partCount > 1 && partBytes < R2_MIN_PART_BYTES) {
      const detail = `partBytes = ${partBytes} is below R2's smallest part, ${R2_MIN_PART_BYTES} bytes (5 MiB), and the file needs more than one part`;
      if (body.partBytes !== undefined) throw invalidOption('/partBytes', detail);
      throw limitExceeded('maxPartBytes', limits, `A file of ${body.bytes} bytes in parts of MAX_PART_BYTES (below R2's smallest part, 5 MiB)`);
    }
    if (partCount > R2_MAX_PARTS) throw limitExceeded('maxPartBytes', limits, `A file of ${body.bytes} bytes in parts of ${partBytes} bytes takes ${partCount} parts, more than R2's ${R2_MAX_PARTS}; it`);
    const id = newId();
    const view = await uploadStub(c.env, id).create({ id, name: body.name ?? null, bytes: body.bytes, partBytes, partCount, lastPartBytes });
    return c.json(view, 201);
  })
  .openapi(modelPartRoute, async (c) => {
    const { id, n } = c.req.valid('param');
    if (!isId(id)) throw notFound();
    const bytes = await c.req.arrayBuffer();
    // (RPC stubs lose the result's generic type; the object answers exactly these.)
    const result = (await uploadStub(c.env, id).putPart(n, bytes)) as UploadResult<ModelUploadView>;
    return c.json(valueOf(result), 200);
  })
  .openapi(modelUploadStatusRoute, async (c) => {
    const { id } = c.req.valid('param');
    const view = isId(id) ? ((await uploadStub(c.env, id).view()) as ModelUploadView | null) : null;
    if (!view) throw notFound();
    return c.json(view, 200);
  })
  .openapi(completeModelUploadRoute, async (c) => {
    const { id } = c.req.valid('param');
    if (!isId(id)) throw notFound();
    const detail = valueOf((await uploadStub(c.env, id).complete()) as UploadResult<ModelDetail>);
    return c.json(detail, 201, { location: `/v1/models/${id}` });
  })
  .openapi(abortModelUploadRoute, async (c) => {
    const { id } = c.req.valid('param');
    if (!isId(id)) throw notFound();
    valueOf(await uploadStub(c.env, id).abort());
    return c.body(null, 204);
  });
