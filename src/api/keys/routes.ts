/** The route definitions of /v1/keys: managed API keys. */
import { createRoute } from '@hono/zod-openapi';
import { requireAccess } from '../auth.js';
import { limitBody } from '../body-limit.js';
import { KEY_CACHE_MS } from '../limits.js';
import { accessErrors, inputErrors, notFoundResponse, security } from '../openapi.js';
import { IdParamsSchema } from '../schemas.js';
import { CreateKeyRequestSchema, CreatedKeySchema, KeyListSchema } from './schemas.js';

export const createKeyRoute = createRoute({
  method: 'post',
  path: '/',
  summary: 'Create an API key',
  description:
    'A new key with a name, scopes, optionally limited to some models and to a time. The answer carries the secret (`esk_<id>_<random>`), the only time it is shown: only its SHA-256 is stored. A key may only grant scopes (and models) its creator has.',
  tags: ['keys'],
  security,
  middleware: [requireAccess('write'), limitBody('maxBodyBytes')] as const,
  request: { body: { content: { 'application/json': { schema: CreateKeyRequestSchema } }, required: true } },
  responses: {
    201: { description: 'The key, with its secret.', content: { 'application/json': { schema: CreatedKeySchema } } },
    ...accessErrors.write,
    ...inputErrors,
  },
});

export const listKeysRoute = createRoute({
  method: 'get',
  path: '/',
  summary: 'List API keys (never their secrets)',
  tags: ['keys'],
  security,
  middleware: [requireAccess('read')] as const,
  responses: {
    200: { description: 'Every key that is not revoked, oldest first, expired ones included.', content: { 'application/json': { schema: KeyListSchema } } },
    ...accessErrors.read,
  },
});

export const revokeKeyRoute = createRoute({
  method: 'delete',
  path: '/{id}',
  summary: 'Revoke an API key',
  description: `The key is refused (401) by this isolate at once and by every other within ${KEY_CACHE_MS / 1000} seconds (docs/API.md, Keys).`,
  tags: ['keys'],
  security,
  middleware: [requireAccess('write')] as const,
  request: { params: IdParamsSchema },
  responses: { 204: { description: 'Revoked.' }, ...accessErrors.write, ...notFoundResponse('key') },
});
