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
 * Run: npm run bench:load   (writes bench/encode-load.json)
 */
import autocannon from 'autocannon';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, DEV_ADMIN_TOKEN, DEV_ENCODE_TOKEN, killAllWranglerDev, startWranglerDev } from '../test/helpers/wrangler-dev.js';
import { mulberry32, randomRows } from '../test/helpers/random.js';

const DURATION_S = Number(process.env.BENCH_LOAD_SECONDS ?? 10);
const CONCURRENCY = [1, 32];
const LOAD_TOKENS = Array.from({ length: 16 }, (_, i) => `bench-encode-token-${i}`);

interface LoadRecord {
  name: string;
  shape: string;
  concurrency: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
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

async function load(url: string, concurrency: number, init: { method?: string; body?: string; headers?: Record<string, string> }) {
  const method = (init.method ?? 'GET') as 'GET' | 'POST';
  const result = await autocannon({
    url,
    connections: concurrency,
    duration: DURATION_S,
    method,
    body: init.body,
    headers: init.headers,
    requests: LOAD_TOKENS.map((token) => ({
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

async function main(): Promise<void> {
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
    for (const concurrency of CONCURRENCY) {
      records.push({ name: 'healthz', shape: '-', concurrency, ...(await load(`${server.base}/healthz`, concurrency, {})) });
      for (const model of models) {
        const body = JSON.stringify({ input: model.row });
        const url = `${server.base}/v1/models/${model.id}/encode`;
        log(`encode ${model.shape} at concurrency ${concurrency}`);
        // Warm the isolate's model cache before measuring.
        await api(server.base, `/v1/models/${model.id}/encode`, DEV_ENCODE_TOKEN, { input: model.row });
        const figures = await load(url, concurrency, {
          method: 'POST',
          body,
          headers: { authorization: `Bearer ${DEV_ENCODE_TOKEN}`, 'content-type': 'application/json' },
        });
        records.push({ name: 'encode (1 row)', shape: model.shape, concurrency, ...figures });
      }
    }
  } finally {
    await server.stop();
    killAllWranglerDev();
    rmSync(state, { recursive: true, force: true });
  }

  const stamp = {
    machine: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    date: new Date().toISOString(),
    loadAverage: loadavg()[0],
    durationSeconds: DURATION_S,
    server: 'wrangler dev (local workerd), load generator autocannon in the same machine',
  };
  writeFileSync(new URL('./encode-load.json', import.meta.url), `${JSON.stringify({ ...stamp, records }, null, 2)}\n`);
  console.log(`| route | model | concurrency | requests/s | p50 ms | p99 ms | errors |`);
  console.log(`|---|---|---|---|---|---|---|`);
  for (const r of records) {
    console.log(`| ${r.name} | ${r.shape} | ${r.concurrency} | ${r.requestsPerSecond.toFixed(0)} | ${r.p50Ms} | ${r.p99Ms} | ${r.errors + r.non2xx} |`);
  }
  console.log(`(${stamp.machine}, ${stamp.cores} cores, Node ${stamp.node}, ${stamp.date}, load average ${(stamp.loadAverage ?? 0).toFixed(2)})`);
}

await main();
