/** The route definitions of /v1/keys: managed API keys. */
import { createRoute } from '@hono/zod-openapi';
import { requireAccess } from '../auth.js';
import { limitBody } from '../body-limit.js';
import { KEY_CACHE_MS } from '../limits.js';
import { accessErrors, inputErrors, notFoundResponse, problem, security } from '../openapi.js';
import { IdParamsSchema } from '../schemas.js';
import { CreateKeyRequestSchema, CreatedKeySchema, KeyListQuerySchema, KeyListSchema } from './schemas.js';

export const createKeyRoute = createRoute({
  method: 'post',
  path: '/',
  summary: 'Create an API key',
  description:
    'A new key with a name, scopes, optionally limited to some models and to a time. The answer carries the secret (`esk_<id>_<random>`), the only time it is shown: only its SHA-256 is stored. A key may only grant scopes (and models) its creator has, and expires no later than its creator (omitted: when its creator does). At most MAX_KEYS keys are stored (409 too-many-keys).',
  tags: ['keys'],
  security,
  middleware: [requireAccess('write'), limitBody('maxBodyBytes')] as const,
  request: { body: { content: { 'application/json': { schema: CreateKeyRequestSchema } }, required: true } },
  responses: {
    201: { description: 'The key, with its secret.', content: { 'application/json': { schema: CreatedKeySchema } } },
    ...accessErrors.write,
    ...inputErrors,
    409: problem('MAX_KEYS keys are stored already (type too-many-keys): revoke some first.'),
  },
});

export const listKeysRoute = createRoute({
  method: 'get',
  path: '/',
  summary: 'List API keys (never their secrets)',
  description: 'The keys within the calling key (every scope and model of theirs are its own; all of them for API_TOKEN), oldest first, expired ones included, in pages.',
  tags: ['keys'],
  security,
  middleware: [requireAccess('read')] as const,
  request: { query: KeyListQuerySchema },
  responses: {
    200: { description: 'One page of keys.', content: { 'application/json': { schema: KeyListSchema } } },
    ...accessErrors.read,
    422: problem('Bad limit or cursor.'),
  },
});

export const revokeKeyRoute = createRoute({
  method: 'delete',
  path: '/{id}',
  summary: 'Revoke an API key',
  description: `The key, and every key it created (transitively), are refused (401) by this isolate at once and by every other within ${KEY_CACHE_MS / 1000} seconds (docs/API.md, Keys). 403 for a key with a scope or model the calling key lacks.`,
  tags: ['keys'],
  security,
  middleware: [requireAccess('write')] as const,
  request: { params: IdParamsSchema },
  responses: { 204: { description: 'Revoked.' }, ...accessErrors.write, ...notFoundResponse('key') },
});
