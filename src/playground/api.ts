/**
 * The API as the page calls it: the typed client of `edge-sae/client` (src/client.ts, hono/client
 * over the app's own route types) with the token typed into the page, and answers that are not
 * a success turned into errors carrying the problem's title and detail.
 */
import { createClient } from '../client.js';
import { input } from './page.js';

export type Api = ReturnType<typeof createClient>;

/** Whether the page is served from this machine (`npm run dev`), whose admin token is known. */
export function servedLocally(): boolean {
  return ['localhost', '127.0.0.1', '[::1]', '::1'].includes(location.hostname);
}

/** The local server's tokens (`npm run dev` sets them: package.json). */
export const LOCAL_ADMIN_TOKEN = 'dev-admin-token';
export const LOCAL_ENCODE_TOKEN = 'dev-encode-token';

/** What to type in step 1, for the messages that ask for a token. */
export function tokenAdvice(): string {
  return servedLocally() ? `the local server's admin token is ${LOCAL_ADMIN_TOKEN}` : 'ask whoever runs this server for one';
}

/** The message of a request the page will not send: no token typed. */
export function missingToken(action: string): string | null {
  return input('token').value.trim() === '' ? `Type an API token in step 1 to ${action} (${tokenAdvice()}).` : null;
}

/** A client for this page's origin, with the page's token (none when the field is empty). */
export function api(): Api {
  const token = input('token').value.trim();
  return createClient(location.origin, token ? { token } : {});
}

/** An answer that is not a success: its status and its problem details' title and detail. */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Answer {
  readonly ok: boolean;
  readonly status: number;
  readonly statusText: string;
  text(): Promise<string>;
}

/**
 * The success answers of a route's answers; all of them for a route whose success is not typed
 * (the pictures and the event stream are not JSON, so the client's types list only their errors).
 */
export type Success<R> = [Extract<R, { ok: true }>] extends [never] ? R : Extract<R, { ok: true }>;

/** `res` when it is a success (narrowed to the success answers of its route); an ApiError otherwise. */
export async function ok<R extends Answer>(res: R): Promise<Success<R>> {
  if (res.ok) return res as Success<R>;
  const text = await res.text();
  let message = `${res.status} ${res.statusText}`;
  try {
    const problem = JSON.parse(text) as { title?: unknown; detail?: unknown };
    if (typeof problem.title === 'string') message = problem.title;
    if (typeof problem.detail === 'string') message += `: ${problem.detail}`;
  } catch {
    // not problem details: the status line it is
  }
  // Access problems in the page's terms (step 1), not the API's advice about headers.
  if (res.status === 401) message = `The API token in step 1 was not accepted (${tokenAdvice()}).`;
  if (res.status === 403) message = `The API token in step 1 may not do this (${message}); training needs an admin token.`;
  throw new ApiError(res.status, message);
}
