/**
 * The CLI's API client against a local HTTP server: what it retries (network failures, 429 and
 * 5xx, only when asked), how a problem+json answer becomes an error (4xx: ApiError, exit code 2,
 * the server's detail and problem type), and the --api / --token flags.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiClient, ApiError, apiClientFrom } from '../../src/cli/api-client.js';
import { parseCommandArgs } from '../../src/cli/args.js';
import { UPLOAD } from '../../src/cli/commands.js';

let server: Server | undefined;

/** A server answering each request with the next of `answers` (status, body), and the requests it saw. */
async function serve(answers: { status: number; body: string; headers?: Record<string, string> }[]) {
  const seen: { method: string; url: string; auth: string | undefined; body: string }[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization, body });
      const answer = answers[Math.min(seen.length - 1, answers.length - 1)]!;
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return { base: `http://127.0.0.1:${address.port}/`, seen };
}

afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

const noWait = () => Promise.resolve();
const problem = (status: number, type: string, detail: string) => ({ status, body: JSON.stringify({ type: `urn:edge-sae:problem:${type}`, title: 'x', status, detail }) });

describe('ApiClient', () => {
  it('should retry 503 and 429 when asked, then return the JSON answer', async () => {
    const { base, seen } = await serve([problem(503, 'storage-unavailable', 'later'), { status: 429, body: '{}', headers: { 'retry-after': '1' } }, { status: 200, body: '{"ok":1}' }]);
    const waits: number[] = [];
    const client = new ApiClient(base, 'secret', async (ms) => void waits.push(ms));
    await expect(client.call('GET', '/v1/x', { retry: true })).resolves.toEqual({ ok: 1 });
    expect(seen.map((r) => r.auth)).toEqual(['Bearer secret', 'Bearer secret', 'Bearer secret']);
    expect(seen[0]!.url).toBe('/v1/x'); // the base's trailing slash is not doubled
    expect(waits).toEqual([250, 1000]); // the first wait of the ladder, then Retry-After
  });

  it('should not retry a request that may not run twice', async () => {
    const { base, seen } = await serve([problem(503, 'storage-unavailable', 'later'), { status: 201, body: '{}' }]);
    const error = await new ApiClient(base, 't', noWait).call('POST', '/v1/jobs', { json: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(ApiError);
    expect((error as Error).message).toBe('POST /v1/jobs: 503 storage-unavailable: later');
    expect(seen).toHaveLength(1);
    expect(seen[0]!.body).toBe('{}');
  });

  it('should turn a 4xx problem into an ApiError with the status, type and detail, without retrying', async () => {
    const { base, seen } = await serve([problem(404, 'job-not-found', 'No job with id "j"')]);
    const error = (await new ApiClient(base, 't', noWait).call('GET', '/v1/jobs/j', { retry: true }).catch((e: unknown) => e)) as ApiError;
    expect(error).toBeInstanceOf(ApiError);
    expect([error.status, error.type, error.message]).toEqual([404, 'job-not-found', 'GET /v1/jobs/j: 404 job-not-found: No job with id "j"']);
    expect(seen).toHaveLength(1);
  });

  it('should say so when a success is not JSON, or the body is not a problem', async () => {
    const { base } = await serve([{ status: 200, body: '<html>' }, { status: 400, body: 'Bad gateway page' }]);
    const client = new ApiClient(base, 't', noWait);
    await expect(client.call('GET', '/a')).rejects.toThrow(/answered 200 with a body that is not JSON: <html>/);
    await expect(client.call('GET', '/b')).rejects.toThrow('GET /b: 400: Bad gateway page');
  });

  it('should name the address it cannot reach, after its retries', async () => {
    const { base } = await serve([]);
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    let waits = 0;
    const client = new ApiClient(base, 't', async () => void waits++);
    await expect(client.call('GET', '/healthz', { retry: true })).rejects.toThrow(/GET http:\/\/127\.0\.0\.1:\d+\/healthz: cannot reach the API: ECONNREFUSED/);
    expect(waits).toBe(6);
  });
});

describe('apiClientFrom', () => {
  const parse = (...argv: string[]) => parseCommandArgs(UPLOAD, ['--data', 'd.csv', ...argv])!;

  it('should take the token from --token, else EDGE_SAE_TOKEN', () => {
    expect(apiClientFrom(parse('--api', 'http://h:1/', '--token', 'a'), {}).base).toBe('http://h:1');
    expect(() => apiClientFrom(parse('--api', 'http://h:1'), {})).toThrow('--token: missing (give --token TOKEN, or set EDGE_SAE_TOKEN)');
    expect(() => apiClientFrom(parse('--api', 'http://h:1'), { EDGE_SAE_TOKEN: 'b' })).not.toThrow();
  });

  it('should refuse an --api that is not an http URL', () => {
    expect(() => apiClientFrom(parse('--api', 'localhost:8787', '--token', 'a'), {})).toThrow(/--api: expected an http or https URL/);
    expect(() => apiClientFrom(parse('--api', 'not a url', '--token', 'a'), {})).toThrow(/--api: expected the API's URL/);
  });
});
