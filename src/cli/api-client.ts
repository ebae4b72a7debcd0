/**
 * The CLI's client of the edge-sae HTTP API (upload, job, sweep --api, encode --api): fetch with
 * a bearer token, problem+json answers turned into errors that say what the server said, and
 * retries of what is safe to retry.
 *
 * Hand-written over fetch rather than the typed client (`edge-sae/client`, hono/client): the CLI
 * must run with the library's dependencies only, and hono and zod are optional peers of the
 * package (see package.json), installed only by those who use the typed client.
 */
import { InputError } from '../errors.js';
import { UsageError, type ParsedOptions } from './args.js';

/** A 4xx answer (a bad request, a missing dataset, a refused token): exit code 2, the server's words. */
export class ApiError extends InputError {
  override name = 'ApiError';
  constructor(
    message: string,
    readonly status: number,
    /** The problem type's last segment ("dataset-not-found"), or null when the body was not a problem. */
    readonly type: string | null,
  ) {
    super(message);
  }
}

export interface ApiRequest {
  /** JSON body (sent as application/json). */
  json?: unknown;
  /** Raw body (sent as application/octet-stream). */
  bytes?: Uint8Array;
  /**
   * Retry network failures, 429 and 5xx answers (after Retry-After or a growing wait). Only for
   * requests that may run twice: reads, a part sent again (it replaces itself), deletes.
   */
  retry?: boolean;
  /** More request headers (e.g. Last-Event-ID on an event stream opened again). */
  headers?: Record<string, string>;
}

/** Waits between retries, in ms; a restarting server (wrangler dev after a crash) takes seconds. */
const RETRY_WAITS_MS = [250, 500, 1000, 2000, 4000, 8000];

export class ApiClient {
  readonly base: string;

  constructor(
    base: string,
    private readonly token: string,
    /** For tests: how to wait between retries. */
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    this.base = base.replace(/\/+$/, '');
  }

  /** Sends the request and returns its JSON answer; throws ApiError on 4xx, Error otherwise. */
  async call<T>(method: string, path: string, request: ApiRequest = {}): Promise<T> {
    const response = await this.send(method, path, request);
    const text = await response.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new Error(`${method} ${path}: the server answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
  }

  /** Sends the request and returns the Response (2xx only; the body not yet read). */
  async send(method: string, path: string, request: ApiRequest = {}): Promise<Response> {
    const url = `${this.base}${path}`;
    const headers: Record<string, string> = { ...request.headers, authorization: `Bearer ${this.token}` };
    let body: BodyInit | undefined;
    if (request.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(request.json);
    } else if (request.bytes !== undefined) {
      headers['content-type'] = 'application/octet-stream';
      body = request.bytes as Uint8Array<ArrayBuffer>;
    }
    for (let attempt = 0; ; attempt++) {
      const last = !request.retry || attempt >= RETRY_WAITS_MS.length;
      let response: Response;
      try {
        response = await fetch(url, { method, headers, ...(body === undefined ? {} : { body }) });
      } catch (error) {
        if (last) throw new Error(`${method} ${url}: cannot reach the API: ${describeFetchError(error)}`);
        await this.sleep(RETRY_WAITS_MS[attempt]!);
        continue;
      }
      if (response.ok) return response;
      const retryable = response.status === 429 || response.status >= 500;
      if (retryable && !last) {
        await response.body?.cancel();
        await this.sleep(retryAfterMs(response) ?? RETRY_WAITS_MS[attempt]!);
        continue;
      }
      throw await problemError(method, path, response);
    }
  }
}

/** The --api and --token flags (the token may come from EDGE_SAE_TOKEN instead, out of shell history). */
export function apiClientFrom(options: ParsedOptions, env: NodeJS.ProcessEnv = process.env): ApiClient {
  const api = options.required('api');
  let url: URL;
  try {
    url = new URL(api);
  } catch {
    throw new UsageError(`--api: expected the API's URL, such as http://127.0.0.1:8787, got ${JSON.stringify(api)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--api: expected an http or https URL, got ${JSON.stringify(api)}`);
  const token = options.string('token') ?? env.EDGE_SAE_TOKEN;
  if (token === undefined || token === '') throw new UsageError('--token: missing (give --token TOKEN, or set EDGE_SAE_TOKEN)');
  return new ApiClient(url.href, token);
}

async function problemError(method: string, path: string, response: Response): Promise<Error> {
  const text = await response.text().catch(() => '');
  let detail = text.slice(0, 300);
  let type: string | null = null;
  try {
    const problem = JSON.parse(text) as { type?: unknown; title?: unknown; detail?: unknown };
    if (typeof problem.detail === 'string') detail = problem.detail;
    else if (typeof problem.title === 'string') detail = problem.title;
    if (typeof problem.type === 'string') type = problem.type.split(/[/:]/).pop() ?? null;
  } catch {
    // Not problem+json (a proxy's page, say): its first bytes are the best we have.
  }
  const message = `${method} ${path}: ${response.status}${type ? ` ${type}` : ''}: ${detail}`;
  return response.status < 500 ? new ApiError(message, response.status, type) : new Error(message);
}

function retryAfterMs(response: Response): number | undefined {
  const seconds = Number(response.headers.get('retry-after'));
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, 60) * 1000 : undefined;
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ''}`;
  return error instanceof Error ? error.message : String(error);
}
