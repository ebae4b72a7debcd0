/**
 * GET /healthz: liveness and which kernel backend "auto" picks in this isolate (and why).
 * Public: it reveals no models and no configuration beyond the backend.
 */
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import packageJson from '../../package.json' with { type: 'json' };
import { loadWorkerBackend } from './backends.js';
import type { AppEnv } from './env.js';
import { validationHook } from './problem.js';
import { HealthSchema } from './schemas.js';

/** The package version, reported by /healthz and the OpenAPI document. */
export const VERSION: string = packageJson.version;

const healthRoute = createRoute({
  method: 'get',
  path: '/healthz',
  summary: 'Health and kernel backend',
  tags: ['meta'],
  responses: {
    200: { description: 'Up.', content: { 'application/json': { schema: HealthSchema } } },
  },
});

export const health = new OpenAPIHono<AppEnv>({ defaultHook: validationHook }).openapi(healthRoute, async (c) => {
  const { backend, report } = await loadWorkerBackend('auto');
  return c.json({ status: 'ok' as const, version: VERSION, backend: backend.name, report }, 200);
});
