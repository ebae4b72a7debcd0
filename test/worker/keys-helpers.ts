/**
 * The key tests' shared calls (keys.test.ts, keys-delegation.test.ts): a request to the app
 * without the rate limiter (or with the bindings a test sets), and a key created by a token.
 */
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { app } from '../../src/api/app.js';
import type { Scope } from '../../src/api/scopes.js';
import { ADMIN, request, type CallOptions } from './helpers.js';

/** A key as POST /v1/keys answers it (the only answer with its secret). */
export interface CreatedKey {
  id: string;
  name: string;
  secret: string;
  scopes: Scope[];
  models: string[] | null;
  expiresAt: string | null;
  createdBy: string;
}

export const send = (path: string, options: CallOptions = {}, bindings: Record<string, unknown> = {}) =>
  app.request(request(path, options), undefined, { ...env, RATE_LIMITER: undefined, ...bindings });

export async function createKey(body: Record<string, unknown>, token: string = ADMIN): Promise<CreatedKey> {
  const res = await send('/v1/keys', { token, json: body });
  const text = await res.text();
  expect(res.status, text).toBe(201);
  return JSON.parse(text) as CreatedKey;
}
