/**
 * /v1/jobs: asynchronous training of data too large for one request. The handlers check the
 * request (dataset, options, limits, backend) and hand the job to its Durable Object
 * (./durable-object.ts), which trains it in slices; see docs/JOBS.md.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env.js';
import { jobEventStream } from '../job-events.js';
import { ApiError, validationHook } from '../problem.js';
import { isId } from '../storage-keys.js';
import { admitJobs } from './running-jobs.js';
import { cancelRoute, eventsRoute, getRoute, submitRoute } from './routes.js';
import { jobStub, launchJob, prepareJob } from './submit.js';

function jobNotFound(id: string): ApiError {
  return new ApiError(404, { type: 'job-not-found', title: 'Job not found', detail: `No job with id "${id.slice(0, 64)}".` });
}

export const jobs = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(submitRoute, async (c) => {
    const prepared = await prepareJob(c.env, c.req.valid('json'));
    await admitJobs(c.env, [prepared.init.id]);
    const view = await launchJob(c.env, prepared);
    return c.json(view, 202, { location: `/v1/jobs/${prepared.init.id}` });
  })
  .openapi(getRoute, async (c) => {
    const { id } = c.req.valid('param');
    const view = isId(id) ? await jobStub(c.env, id).status() : null;
    if (!view) throw jobNotFound(id);
    return c.json(view, 200);
  })
  .openapi(eventsRoute, async (c) => {
    const { id } = c.req.valid('param');
    const stub = isId(id) ? jobStub(c.env, id) : null;
    const first = stub ? await stub.status(false) : null;
    if (!stub || !first) throw jobNotFound(id);
    // Progress events leave out the loss history; the end event has it.
    return (await jobEventStream(c, first, (whole) => stub.status(whole))) as never;
  })
  .openapi(cancelRoute, async (c) => {
    const { id } = c.req.valid('param');
    const view = isId(id) ? await jobStub(c.env, id).cancel() : null;
    if (!view) throw jobNotFound(id);
    if (view.status !== 'cancelled') {
      throw new ApiError(409, {
        type: 'conflict',
        detail: `Job ${id} has already ${view.status === 'succeeded' ? 'succeeded' : 'failed'}; there is nothing to cancel.`,
        extra: { status: view.status },
      });
    }
    return c.json(view, 200);
  });
