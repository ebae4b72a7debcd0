/**
 * The route definition every event stream shares (GET …/{id}/events of training jobs, features
 * jobs and sweeps): read access, the id parameter, a text/event-stream answer whose bounds
 * STREAM_BOUNDS describes, and the followed thing's 404.
 */
import { createRoute, z } from '@hono/zod-openapi';
import { requireAccess } from './auth.js';
import { accessErrors, problem, security } from './openapi.js';
import { IdParamsSchema } from './schemas.js';
import { STREAM_BOUNDS } from './snapshot-stream.js';

/** GET /{id}/events: `what` the stream carries (its description, before the bounds), and what no such id is. */
export function eventsRouteFor(summary: string, what: string, notFound: string) {
  return createRoute({
    method: 'get',
    path: '/{id}/events',
    summary,
    description: `${what} ${STREAM_BOUNDS}`,
    tags: ['jobs'],
    security,
    middleware: [requireAccess('read')] as const,
    request: { params: IdParamsSchema },
    responses: {
      200: { description: 'The event stream.', content: { 'text/event-stream': { schema: z.string() } } },
      ...accessErrors.read,
      404: problem(notFound),
    },
  });
}
