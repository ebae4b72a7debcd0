/**
 * Encode latency and throughput against a running `wrangler dev` (issue 4's benchmark): p50,
 * p99 and requests/s at concurrency 1 and 32 for a 16→48 and a 784→196 model (one row a
 * request), beside GET /healthz of the same server as the baseline. autocannon drives the load
 * from this process; the server is started here on a free port with throwaway state.
 *
 * The API limits each token to RATE_LIMITER's rate (wrangler.toml), so the load is spread over
 * LOAD_TOKENS encode tokens (each connection cycles through them), so that what is measured is
 * the Worker, not the limiter; any 429 would still be counted as an error.
 *
 * Each encode load runs with ENCODE_TOKENS and with as many managed keys (POST /v1/keys, scope
 * models:encode), interleaved in ROUNDS rounds of DURATION_S / (ROUNDS / 2) (A B B A A B B A),
 * so that a drift of the machine's load (it is shared) falls on both alike; the cost of a
 * managed key on the warm path (its lookup, cached per isolate for KEY_CACHE_MS, then one Durable
 * Object call) is their ratio of requests/s (issue 18's target: within 10% at concurrency 32).
 * Each kind's figures: requests/s and p50 the mean of its rounds, p99 the highest, errors the
 * sum; every round's requests/s is in the JSON. At concurrency 32 the two kinds then also run
 * at once, 16 connections each for DURATION_S ("together"): the same moments of the machine for
 * both, the comparison least moved by other work on it.
 *
 * Run: npm run bench:load   (writes bench/encode-load.json and the encode-load region of docs/BENCHMARKS.md)
 */
import autocannon from 'autocannon';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeRegion } from '../scripts/docs/regions.js';
import { REGION_FILES } from '../scripts/docs/targets.js';
import { api, DEV_ADMIN_TOKEN, DEV_ENCODE_TOKEN, killAllWranglerDev, ROOT, startWranglerDev } from '../test/helpers/wrangler-dev.js';
import { mulberry32, randomRows } from '../test/helpers/random.js';
import { managedRatios, renderEncodeLoad, type LoadRecord, type LoadResults } from './encode-load-table.js';

const DURATION_S = Number(process.env.BENCH_LOAD_SECONDS ?? 10);
const CONCURRENCY = [1, 32];
const LOAD_TOKENS = Array.from({ length: 16 }, (_, i) => `bench-encode-token-${i}`);
/** Rounds of each encode load, half with each kind of token: A B B A A B B A. */
const ROUNDS = 8;

/** Managed keys for the load, one per encode token: created through the API, as a client app gets one. */
async function createManagedKeys(base: string, count: number): Promise<string[]> {
  const secrets: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await api(base, '/v1/keys', DEV_ADMIN_TOKEN, { name: `bench-load-${i}`, scopes: ['models:encode'] });
    if (res.status !== 201) throw new Error(`creating a key failed: ${res.status} ${await res.text()}`);
    secrets.push(((await res.json()) as { secret: string }).secret);
  }
  return secrets;
}

async function trainModel(base: string, n: number, h: number): Promise<{ id: string; row: number[] }> {
  const data = randomRows(mulberry32(n), 64, n);
  const res = await api(base, '/v1/models', DEV_ADMIN_TOKEN, {
    data,
    name: `bench-${n}x${h}`,
    config: { hiddenSize: h },
    training: { epochs: 5 },
  });
  if (res.status !== 201) throw new Error(`training ${n}→${h} failed: ${res.status} ${await res.text()}`);
  return { id: ((await res.json()) as { id: string }).id, row: data[0]! };
}

type LoadInit = { method?: string; body?: string; headers?: Record<string, string> };

async function load(url: string, concurrency: number, init: LoadInit, tokens: readonly string[] = LOAD_TOKENS, duration = DURATION_S) {
  const method = (init.method ?? 'GET') as 'GET' | 'POST';
  const result = await autocannon({
    url,
    connections: concurrency,
    duration,
    method,
    body: init.body,
    headers: init.headers,
    requests: tokens.map((token) => ({
      method,
      body: init.body,
      headers: { ...init.headers, ...(init.headers?.authorization ? { authorization: `Bearer ${token}` } : {}) },
    })),
  });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/** ENCODE_TOKENS and managed keys in ROUNDS rounds, A B B A A B B A; each kind's figures over its rounds. */
async function interleaved(url: string, concurrency: number, init: LoadInit, managedKeys: readonly string[]) {
  const each = DURATION_S / (ROUNDS / 2);
  const rounds = { encodeTokens: [] as Awaited<ReturnType<typeof load>>[], managed: [] as Awaited<ReturnType<typeof load>>[] };
  for (let i = 0; i < ROUNDS; i++) {
    const kind = i % 4 === 0 || i % 4 === 3 ? 'encodeTokens' : 'managed';
    rounds[kind].push(await load(url, concurrency, init, kind === 'managed' ? managedKeys : LOAD_TOKENS, each));
  }
  const combine = (runs: Awaited<ReturnType<typeof load>>[]) => ({
    requestsPerSecond: runs.reduce((sum, r) => sum + r.requestsPerSecond, 0) / runs.length,
    p50Ms: runs.reduce((sum, r) => sum + r.p50Ms, 0) / runs.length,
    p99Ms: Math.max(...runs.map((r) => r.p99Ms)),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0),
    roundsRequestsPerSecond: runs.map((r) => r.requestsPerSecond),
  });
  return { encodeTokens: combine(rounds.encodeTokens), managed: combine(rounds.managed) };
}

async function main(): Promise<void> {
  const loadAverageStart = loadavg()[0];
  const log = (message: string) => console.error(`[bench:load] ${message}`);
  const state = mkdtempSync(join(tmpdir(), 'edge-sae-load-'));
  const server = await startWranglerDev(state, { ENCODE_TOKENS: [DEV_ENCODE_TOKEN, ...LOAD_TOKENS].join(',') });
  log(`wrangler dev up at ${server.base}`);
  const records: LoadRecord[] = [];
  try {
    const models = [
      { shape: '16→48', ...(await trainModel(server.base, 16, 48)) },
      { shape: '784→196', ...(await trainModel(server.base, 784, 196)) },
    ];
    log('models trained');
    const managedKeys = await createManagedKeys(server.base, LOAD_TOKENS.length);
    log(`${managedKeys.length} managed keys created`);
    for (const concurrency of CONCURRENCY) {
      records.push({ name: 'healthz', shape: '-', token: '-', concurrency, ...(await load(`${server.base}/healthz`, concurrency, {})) });
      for (const model of models) {
        const body = JSON.stringify({ input: model.row });
        const url = `${server.base}/v1/models/${model.id}/encode`;
        log(`encode ${model.shape} at concurrency ${concurrency}: ENCODE_TOKENS and managed keys, interleaved`);
        // Warm the isolate's model cache before measuring.
        await api(server.base, `/v1/models/${model.id}/encode`, DEV_ENCODE_TOKEN, { input: model.row });
        const init = { method: 'POST', body, headers: { authorization: `Bearer ${DEV_ENCODE_TOKEN}`, 'content-type': 'application/json' } };
        const figures = await interleaved(url, concurrency, init, managedKeys);
        records.push({ name: 'encode (1 row)', shape: model.shape, token: 'ENCODE_TOKENS', concurrency, ...figures.encodeTokens });
        records.push({ name: 'encode (1 row)', shape: model.shape, token: 'managed keys', concurrency, ...figures.managed });
        if (concurrency > 1) {
          log(`encode ${model.shape}: ${concurrency / 2} connections of each kind at once`);
          const [bootstrap, managed] = await Promise.all([
            load(url, concurrency / 2, init, LOAD_TOKENS),
            load(url, concurrency / 2, init, managedKeys),
          ]);
          records.push({ name: 'encode (1 row)', shape: model.shape, token: 'ENCODE_TOKENS', together: true, concurrency: concurrency / 2, ...bootstrap });
          records.push({ name: 'encode (1 row)', shape: model.shape, token: 'managed keys', together: true, concurrency: concurrency / 2, ...managed });
        }
      }
    }
  } finally {
    await server.stop();
    killAllWranglerDev();
    rmSync(state, { recursive: true, force: true });
  }

  const stamp: Omit<LoadResults, 'records'> & { server: string } = {
    machine: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    date: new Date().toISOString(),
    loadAverageStart,
    loadAverage: loadavg()[0],
    durationSeconds: DURATION_S,
    tokensPerKind: LOAD_TOKENS.length,
    server: 'wrangler dev (local workerd), load generator autocannon in the same machine',
  };
  const results: LoadResults = { ...stamp, records };
  writeFileSync(new URL('./encode-load.json', import.meta.url), `${JSON.stringify({ ...results, managedVsEncodeTokens: managedRatios(results) }, null, 2)}\n`);
  const table = renderEncodeLoad(results);
  writeRegion(join(ROOT, REGION_FILES.encodeLoad), 'encode-load', table);
  console.log(table);
}

await main();
