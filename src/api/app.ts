/**
 * The Hono app: routes, the OpenAPI document (/openapi.json, 3.1), one error handler and a JSON
 * 404. The playground (/) and the page to try the API (/docs) are static assets. `AppType` types
 * the client of `edge-sae/client` (src/client.ts), which the playground uses too:
 *
 * @example
 * import { createClient } from 'edge-sae/client';
 * const client = createClient('http://127.0.0.1:8787', { token: 'dev-admin-token' });
 * const res = await client.v1.models.$post({ json: { data: [[0, 1], [1, 0]] }, query: {} });
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { audit } from './audit/index.js';
import type { AccessMiddleware } from './auth.js';
import { corsPolicy } from './cors.js';
import type { AppEnv } from './env.js';
import { health, VERSION } from './health.js';
import { datasets } from './datasets/index.js';
import { uploads } from './datasets/uploads.js';
import { jobs } from './jobs/index.js';
import { sweeps } from './sweeps/index.js';
import { encodeJobs, modelEncodeJobs } from './encode-jobs/index.js';
import { featureJobs, modelFeatures } from './features/index.js';
import { keys } from './keys/index.js';
import { models } from './models/index.js';
import { modelUploads } from './models/uploads.js';
import { pictures } from './models/pictures.js';
import { BEARER_AUTH, BEARER_AUTH_SCHEME } from './openapi.js';
import { registerMediaTypes } from './media-types.js';
import { jsonAnswers } from './json-text.js';
import { notFound, onError, validationHook } from './problem.js';
import { scopeFor } from './scopes.js';

/** Builds the app (a fresh one each call; the Worker uses `app`). */
export function createApp() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.onError(onError);
  app.notFound(notFound);
  // Before every route, so errors and 404s carry the CORS headers too (docs/API.md, CORS).
  app.use('*', corsPolicy());
  // Every JSON answer ends with a newline (json-text.ts).
  app.use('*', jsonAnswers());
  app.openAPIRegistry.registerComponent('securitySchemes', BEARER_AUTH, BEARER_AUTH_SCHEME);
  const routes = app.route('/', health).route('/v1/models/uploads', modelUploads).route('/v1/models', models).route('/v1/models', pictures).route('/v1/datasets/uploads', uploads).route('/v1/datasets', datasets).route('/v1/jobs', jobs).route('/v1/sweeps', sweeps).route('/v1/models', modelEncodeJobs).route('/v1/encode-jobs', encodeJobs).route('/v1/models', modelFeatures).route('/v1/feature-jobs', featureJobs).route('/v1/keys', keys).route('/v1/audit', audit);
  withScopes(app);
  registerMediaTypes(app);
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'edge-sae',
      version: VERSION,
      description:
        'Train small sparse autoencoders and encode with them. Errors are RFC 9457 problem details (application/problem+json).',
    },
    tags: [
      { name: 'models', description: 'Train, store and manage models.' },
      { name: 'inference', description: 'Use a stored model.' },
      { name: 'datasets', description: 'Upload data for training jobs (CSV, JSON or float32 in one request, or float32 or uint8 in parts).' },
      { name: 'jobs', description: 'Train larger data asynchronously, in checkpointed slices.' },
      { name: 'keys', description: 'API keys (scoped, expiring, revocable) and the audit trail of writes.' },
      { name: 'meta', description: 'Health.' },
    ],
  });
  // The playground (/) and the docs page (/docs) are static assets (assets/, built into build/assets:
  // see wrangler.toml [assets]), answered before this app runs.
  return routes;
}

/**
 * States each secured operation's scope in its security requirement (`bearerAuth: ["models:encode"]`),
 * from the access its `requireAccess` middleware declares and the same mapping the middleware uses
 * (scopes.ts), so the document cannot disagree with what is enforced. The registry drops a route's
 * middleware, so the access is read from the app's registered handlers, by method and path.
 */
function withScopes(app: OpenAPIHono<AppEnv>): void {
  const accessOf = new Map<string, AccessMiddleware['access']>();
  for (const { method, path, handler } of app.routes) {
    if ('access' in handler) accessOf.set(`${method} ${path}`, (handler as AccessMiddleware).access);
  }
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type !== 'route') continue;
    const route = definition.route;
    const access = accessOf.get(`${route.method.toUpperCase()} ${route.path.replaceAll(/\/{(.+?)}/g, '/:$1')}`);
    if (access !== undefined) route.security = [{ [BEARER_AUTH]: [scopeFor(route.path, access)] }];
  }
}

export const app = createApp();

/** The app's type, for `hc<AppType>()` from hono/client. */
export type AppType = typeof app;
