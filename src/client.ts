/**
 * The typed HTTP client for the edge-sae API (`edge-sae/client`): hono/client's `hc` over the
 * app's own route types, so paths, bodies, queries and answers are checked by the compiler.
 * Needs `hono`, `@hono/zod-openapi` and `zod` installed beside edge-sae (optional peer
 * dependencies: library users who never call the API install none of them; without hono, Node's
 * entry ./client-node.ts says so). `followJob` follows a job's server-sent events.
 *
 * @example
 * import { createClient } from 'edge-sae/client';
 * const api = createClient('http://127.0.0.1:8787', { token: 'dev-admin-token' });
 * const res = await api.v1.models.$post({ json: { data: [[0, 1], [1, 0]] }, query: {} });
 * if (res.status === 201) console.log((await res.json()).id);
 */
import { hc, type ClientRequestOptions } from 'hono/client';
import type { AppType } from './api/app.js';

export type { AppType } from './api/app.js';
export { followJob, type FollowOptions, type Job, type JobEvent } from './client/follow-job.js';

export interface ClientOptions extends ClientRequestOptions {
  /** A bearer token (API_TOKEN, an encode token, or a managed key from POST /v1/keys), sent as `Authorization: Bearer …` on every call. */
  token?: string;
}

/** A typed client of the API at `baseUrl` (e.g. `https://edge-sae.example.workers.dev`). */
export function createClient(baseUrl: string, options: ClientOptions = {}) {
  const { token, headers, ...rest } = options;
  const auth: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  if (typeof headers === 'function') {
    return hc<AppType>(baseUrl, { ...rest, headers: async () => ({ ...(await headers()), ...auth }) });
  }
  return hc<AppType>(baseUrl, { ...rest, headers: { ...headers, ...auth } });
}
