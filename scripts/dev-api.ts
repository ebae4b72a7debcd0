/**
 * Requests to a local `wrangler dev` for the long e2e scripts (scripts/e2e-model-parts.ts,
 * scripts/workerd-sparse.ts): the admin token, a 5-minute timeout, and any answer that is not 2xx
 * thrown with its status and the start of its body, so a run stops where it went wrong.
 */
import { DEV_ADMIN_TOKEN } from '../test/helpers/wrangler-dev.js';

const auth = { authorization: `Bearer ${DEV_ADMIN_TOKEN}` };

export async function call(base: string, path: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(base + path, { ...init, headers: { ...auth, ...(init.headers ?? {}) }, signal: AbortSignal.timeout(300_000) });
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${(await res.text()).slice(0, 500)}`);
  return res;
}

/** A POST of `body` as JSON. */
export const post = (body: unknown): RequestInit => ({ method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
