/**
 * /v1/keys: managed API keys (docs/API.md, Keys). The secret is made here, shown in the 201
 * answer and never again: the store keeps its SHA-256 only.
 *
 * Delegation: a key with `keys:admin` acts only on keys within it (./durable-object.ts,
 * `beyondHolder`): it creates keys with its scopes and models at most and expiring no later than
 * itself, lists only keys within it, and revokes only those (403 naming why otherwise).
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env.js';
import { pageLimit } from '../page-limit.js';
import { readLimits } from '../limits.js';
import { ApiError, validationHook } from '../problem.js';
import { isId } from '../storage-keys.js';
import { beyondHolder, withKeyStore } from './durable-object.js';
import { forgetKey } from './lookup.js';
import { newKeySecret, sha256, toHex } from './secret.js';
import { createKeyRoute, listKeysRoute, revokeKeyRoute } from './routes.js';

const DEFAULT_PAGE_SIZE = 100;

const keyNotFound = (id: string) => new ApiError(404, { type: 'key-not-found', detail: `No key with id ${id.slice(0, 64)}.` });

export const keys = new OpenAPIHono<AppEnv>({ defaultHook: validationHook })
  .openapi(createKeyRoute, async (c) => {
    const body = c.req.valid('json');
    const creator = c.var.principal;
    const models = body.models ? [...new Set(body.models)] : null;
    // No key may grant more than its creator has: keys:admin alone does not make a superuser.
    const beyond = body.scopes.filter((scope) => !creator.scopes.includes(scope));
    if (beyond.length > 0) {
      throw new ApiError(403, { type: 'forbidden', detail: `This key cannot grant scopes it does not have: ${beyond.join(', ')}.` });
    }
    if (beyondHolder(creator, { scopes: body.scopes, models }) !== null) {
      throw new ApiError(403, { type: 'forbidden', detail: 'This key is limited to some models; a key it creates must be limited to some of those.' });
    }
    // Nor outlive it: a later expiry is refused (the client asked for something it cannot have),
    // none given is the creator's.
    const requested = body.expiresAt === undefined ? null : new Date(body.expiresAt).toISOString();
    if (creator.expiresAt !== null && requested !== null && requested > creator.expiresAt) {
      throw new ApiError(403, {
        type: 'forbidden',
        detail: `A key cannot outlive the key that creates it: expiresAt ${requested} is later than this key's ${creator.expiresAt}.`,
      });
    }
    const { id, secret } = newKeySecret();
    const record = {
      id,
      name: body.name,
      digest: toHex(await sha256(secret)),
      scopes: body.scopes,
      models,
      createdAt: new Date().toISOString(),
      expiresAt: requested ?? creator.expiresAt,
      lastUsedAt: null,
      createdBy: creator.keyId,
    };
    const maxKeys = readLimits(c.env).maxKeys;
    const result = await withKeyStore(c.env, 'creating a key', (store) => store.create(record, maxKeys));
    if (result.created === null) {
      throw new ApiError(409, {
        type: 'too-many-keys',
        title: 'Too many keys',
        detail: `${result.count} keys are stored, and MAX_KEYS = ${maxKeys}; revoke keys that are no longer used (expired ones count until revoked) before creating more.`,
        extra: { limit: 'MAX_KEYS', value: maxKeys },
      });
    }
    return c.json({ ...result.created, secret }, 201);
  })
  .openapi(listKeysRoute, async (c) => {
    const { limit: asked, cursor } = c.req.valid('query');
    const limit = pageLimit(asked, DEFAULT_PAGE_SIZE, readLimits(c.env).maxListLimit);
    const { scopes, models } = c.var.principal;
    const page = await withKeyStore(c.env, 'listing keys', (store) => store.list({ scopes, models }, limit, cursor === undefined ? null : Number(cursor)));
    return c.json(page, 200);
  })
  .openapi(revokeKeyRoute, async (c) => {
    const { id } = c.req.valid('param');
    if (!isId(id)) throw keyNotFound(id);
    const { scopes, models } = c.var.principal;
    const result = await withKeyStore(c.env, 'revoking a key', (store) => store.revoke(id, { scopes, models }));
    if (result.outcome === 'not-found') throw keyNotFound(id);
    if (result.outcome === 'forbidden') {
      throw new ApiError(403, { type: 'forbidden', detail: `This key cannot revoke key ${id}: ${result.reason}.` });
    }
    for (const each of result.revoked) forgetKey(each);
    return c.body(null, 204);
  });
