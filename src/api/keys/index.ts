/**
 * /v1/keys: managed API keys (docs/API.md, Keys). The secret is made here, shown in the 201
 * answer and never again: the store keeps its SHA-256 only.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env.js';
import { ApiError, validationHook } from '../problem.js';
import { isId } from '../storage-keys.js';
import { withKeyStore } from './durable-object.js';
import { forgetKey } from './lookup.js';
import { newKeySecret, sha256, toHex } from './secret.js';
import { createKeyRoute, listKeysRoute, revokeKeyRoute } from './routes.js';

const keyNotFound = (id: string) => new ApiError(404, { type: 'key-not-found', detail: `No key with id ${id}.` });

export const keys = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(createKeyRoute, async (c) => {
    const body = c.req.valid('json');
    const creator = c.var.principal;
    // No key may grant more than its creator has: keys:admin alone does not make a superuser.
    const beyond = body.scopes.filter((scope) => !creator.scopes.includes(scope));
    if (beyond.length > 0) {
      throw new ApiError(403, { type: 'forbidden', detail: `This key cannot grant scopes it does not have: ${beyond.join(', ')}.` });
    }
    const models = body.models ? [...new Set(body.models)] : null;
    if (creator.models !== null && (models === null || models.some((id) => !creator.models!.includes(id)))) {
      throw new ApiError(403, { type: 'forbidden', detail: 'This key is limited to some models; a key it creates must be limited to some of those.' });
    }
    const { id, secret } = newKeySecret();
    const record = {
      id,
      name: body.name,
      digest: toHex(await sha256(secret)),
      scopes: body.scopes,
      models,
      createdAt: new Date().toISOString(),
      expiresAt: body.expiresAt === undefined ? null : new Date(body.expiresAt).toISOString(),
      lastUsedAt: null,
      createdBy: creator.keyId,
    };
    const view = await withKeyStore(c.env, 'creating a key', (store) => store.create(record));
    return c.json({ ...view, secret }, 201);
  })
  .openapi(listKeysRoute, async (c) => c.json({ keys: await withKeyStore(c.env, 'listing keys', (store) => store.list()) }, 200))
  .openapi(revokeKeyRoute, async (c) => {
    const { id } = c.req.valid('param');
    if (!isId(id) || !(await withKeyStore(c.env, 'revoking a key', (store) => store.revoke(id)))) throw keyNotFound(id);
    forgetKey(id);
    return c.body(null, 204);
  });
