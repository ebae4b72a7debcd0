/**
 * Load test against a real `wrangler dev` (started here on a free port with throwaway state):
 * ENCODE_REQUESTS encode requests at concurrency CONCURRENCY (autocannon), while two writers
 * train new models, continue training existing ones and delete models that encode is still
 * being sent to. Reports requests/s, p50/p99, every answer that was not a success (only 404s of
 * deleted models are allowed), workerd's memory (RSS from /proc) before, at peak and after; then
 * checks nothing was lost (each model's version = 1 + its successful retrains, every model
 * exports whole, deleted ones are gone), and that the per-token rate limit bites.
 *
 * Run: npm run loadtest   (writes bench/loadtest.json; LOADTEST_REQUESTS=N to change the count)
 */
import autocannon from 'autocannon';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_ADMIN_TOKEN, killAllWranglerDev, sleep, startWranglerDev, type DevServer } from '../test/helpers/wrangler-dev.js';
import { mulberry32, randomRows } from '../test/helpers/random.js';

const ENCODE_REQUESTS = Number(process.env.LOADTEST_REQUESTS ?? 20_000);
const CONCURRENCY = 64;
const STABLE_MODELS = 8;
const DOOMED_MODELS = 4;
const INPUTS = 16;
const HIDDEN = 48;
/** One encode token a connection, so no token nears its rate limit (1000 per 10 s). */
const ENCODE_TOKENS = Array.from({ length: CONCURRENCY }, (_, i) => `load-encode-${i}`);
const BURST = 2_100;
const log = (message: string) => console.error(`[loadtest] ${message}`);

async function call(base: string, method: string, path: string, json?: unknown, token = DEV_ADMIN_TOKEN): Promise<{ status: number; body: string }> {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    body: json === undefined ? undefined : JSON.stringify(json),
    signal: AbortSignal.timeout(60_000),
  });
  return { status: res.status, body: await res.text() };
}

/** The workerd processes wrangler started (same process group, or descendants), with their RSS. */
function workerdRss(server: DevServer): { pids: number[]; rssMiB: number; byPid: Record<number, number> } {
  const root = server.child.pid!;
  const parents = new Map<number, number>();
  const names = new Map<number, string>();
  const groups = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      names.set(pid, stat.slice(stat.indexOf('(') + 1, close));
      const fields = stat.slice(close + 2).split(' ');
      parents.set(pid, Number(fields[1]));
      groups.set(pid, Number(fields[2]));
    } catch {
      // gone
    }
  }
  const descends = (pid: number): boolean => {
    for (let p = pid, depth = 0; p > 1 && depth < 20; p = parents.get(p) ?? 0, depth++) if (p === root) return true;
    return false;
  };
  const pids = [...names].filter(([pid, name]) => name.startsWith('workerd') && (groups.get(pid) === root || descends(pid))).map(([pid]) => pid);
  let kib = 0;
  const byPid: Record<number, number> = {};
  for (const pid of pids) {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const own = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    byPid[pid] = Math.round((own / 1024) * 10) / 10;
    kib += own;
  }
  return { pids, rssMiB: Math.round((kib / 1024) * 10) / 10, byPid };
}

interface FullResult {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; max: number; average: number };
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}

interface WriterStats {
  trained: number;
  retrained: number;
  deleted: number;
  failures: string[];
  retrainsByModel: Map<string, number>;
  created: string[];
}

async function main(): Promise<void> {
  const state = mkdtempSync(join(tmpdir(), 'edge-sae-loadtest-'));
  const server = await startWranglerDev(state, { ENCODE_TOKENS: ENCODE_TOKENS.join(',') });
  log(`wrangler dev up at ${server.base}`);
  const base = server.base;
  try {
    const data = randomRows(mulberry32(11), 64, INPUTS);
    const train = async (seed: number) => {
      const res = await call(base, 'POST', '/v1/models', { data, config: { hiddenSize: HIDDEN }, training: { epochs: 100, seed } });
      if (res.status !== 201) throw new Error(`training failed: ${res.status} ${res.body}`);
      return (JSON.parse(res.body) as { id: string }).id;
    };
    const stable: string[] = [];
    const doomed: string[] = [];
    for (let i = 0; i < STABLE_MODELS; i++) stable.push(await train(i + 1));
    for (let i = 0; i < DOOMED_MODELS; i++) doomed.push(await train(100 + i));
    const targets = [...stable, ...doomed];
    const doomedSet = new Set(doomed);
    const deletedSet = new Set<string>();
    // Warm every model into the isolate's cache.
    for (const id of targets) await call(base, 'POST', `/v1/models/${id}/encode`, { input: data[0] }, ENCODE_TOKENS[0]);
    await sleep(1000);
    const before = workerdRss(server);
    log(`models ready; workerd pids ${before.pids.join(',')} RSS ${before.rssMiB} MiB`);

    let peak = before.rssMiB;
    const loadStarted = Date.now();
    const timeline: { second: number; encodes: number; rssMiB: number }[] = [];
    let lastSample = 0;
    const sampler = setInterval(() => {
      try {
        const { rssMiB } = workerdRss(server);
        peak = Math.max(peak, rssMiB);
        if (Date.now() - lastSample >= 5_000) {
          lastSample = Date.now();
          timeline.push({ second: Math.round((Date.now() - loadStarted) / 1000), encodes: ok + expected404, rssMiB });
        }
      } catch {
        // a process ended between the listing and the read
      }
    }, 250);

    // The encode load.
    let sent = 0;
    const unexpected = new Map<string, number>();
    let expected404 = 0;
    let ok = 0;
    const bodies = targets.map((_, i) => JSON.stringify({ inputs: [data[i % data.length]!, data[(i + 1) % data.length]!] }));
    let connectionCounter = 0;
    let finished = false;
    const load = (autocannon as unknown as (options: unknown) => Promise<FullResult>)({
      url: base,
      connections: CONCURRENCY,
      amount: ENCODE_REQUESTS,
      timeout: 30,
      requests: [
        {
          setupRequest(request: Record<string, unknown>, context: Record<string, unknown>) {
            context.token ??= ENCODE_TOKENS[connectionCounter++ % ENCODE_TOKENS.length];
            const index = sent++ % targets.length;
            context.model = targets[index];
            return {
              ...request,
              method: 'POST',
              path: `/v1/models/${targets[index]}/encode`,
              headers: { authorization: `Bearer ${context.token as string}`, 'content-type': 'application/json' },
              body: bodies[index],
            };
          },
          onResponse(status: number, _body: string, context: Record<string, unknown>) {
            if (status === 200) ok++;
            else if (status === 404 && doomedSet.has(context.model as string) && deletedSet.has(context.model as string)) expected404++;
            else unexpected.set(String(status), (unexpected.get(String(status)) ?? 0) + 1);
          },
        },
      ],
    });

    // Two writers beside it, each owning half of the stable models (so they never race each other).
    const stats: WriterStats = { trained: 0, retrained: 0, deleted: 0, failures: [], retrainsByModel: new Map(), created: [] };
    const writer = async (index: number) => {
      const own = stable.filter((_, i) => i % 2 === index);
      for (let round = 0; !finished; round++) {
        const id = own[round % own.length]!;
        const retrain = await call(base, 'POST', `/v1/models/${id}/train`, { data, training: { epochs: 20 } });
        if (retrain.status === 200) {
          stats.retrained++;
          stats.retrainsByModel.set(id, (stats.retrainsByModel.get(id) ?? 0) + 1);
        } else stats.failures.push(`retrain ${retrain.status} ${retrain.body.slice(0, 200)}`);
        if (finished) break;
        const created = await call(base, 'POST', '/v1/models', { data, config: { hiddenSize: HIDDEN }, training: { epochs: 50, seed: 1000 + round } });
        if (created.status === 201) {
          stats.trained++;
          const newId = (JSON.parse(created.body) as { id: string }).id;
          // Every other new model is deleted again at once; the rest must survive.
          if (round % 2 === 0) {
            const del = await call(base, 'DELETE', `/v1/models/${newId}`);
            if (del.status === 204) stats.deleted++;
            else stats.failures.push(`delete ${del.status}`);
          } else stats.created.push(newId);
        } else stats.failures.push(`train ${created.status} ${created.body.slice(0, 200)}`);
        // Delete a doomed model (still being encoded against) every few rounds.
        const victim = doomed[round + index * 2];
        if (round % 2 === 1 && victim && !deletedSet.has(victim)) {
          deletedSet.add(victim); // before the call: encode answers 404 as soon as it lands
          const del = await call(base, 'DELETE', `/v1/models/${victim}`);
          if (del.status === 204) stats.deleted++;
          else stats.failures.push(`delete doomed ${del.status}`);
        }
        await sleep(50);
      }
    };
    const writers = Promise.all([writer(0), writer(1)]);
    const result = await load;
    finished = true;
    await writers;
    clearInterval(sampler);
    await sleep(2000);
    const after = workerdRss(server);
    log(`encode done: ${result.requests.total} requests, ${result.requests.average.toFixed(0)}/s; RSS ${after.rssMiB} MiB (peak ${peak})`);

    // Nothing lost: versions, exports, deletions.
    const lost: string[] = [];
    for (const id of stable) {
      const res = await call(base, 'GET', `/v1/models/${id}`);
      const version = res.status === 200 ? (JSON.parse(res.body) as { version: number }).version : -1;
      const want = 1 + (stats.retrainsByModel.get(id) ?? 0);
      if (version !== want) lost.push(`${id}: version ${version}, expected ${want}`);
    }
    for (const id of [...stable, ...stats.created]) {
      const res = await call(base, 'GET', `/v1/models/${id}/export`);
      const file = res.status === 200 ? (JSON.parse(res.body) as { format?: string; encoder?: unknown }) : null;
      if (!file || file.format !== 'edge-sae' || !file.encoder) lost.push(`${id}: export ${res.status}`);
    }
    for (const id of deletedSet) {
      const res = await call(base, 'GET', `/v1/models/${id}`);
      if (res.status !== 404) lost.push(`${id}: deleted but answers ${res.status}`);
    }

    // The rate limit bites: one token, 2,100 requests as fast as possible (the limiter counts in
    // fixed 10 s windows, so more than twice the limit is needed to be sure to fill one).
    const burstToken = ENCODE_TOKENS[1]!;
    const burst = (await (autocannon as unknown as (options: unknown) => Promise<FullResult>)({
      url: `${base}/v1/models/${stable[0]}/encode`,
      connections: 16,
      amount: BURST,
      method: 'POST',
      headers: { authorization: `Bearer ${burstToken}`, 'content-type': 'application/json' },
      body: bodies[0],
    }));
    const limited = burst.statusCodeStats['429']?.count ?? 0;
    log(`rate limit burst: ${JSON.stringify(burst.statusCodeStats)}`);

    const record = {
      machine: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      node: process.version,
      date: new Date().toISOString(),
      loadAverage: Number((loadavg()[0] ?? 0).toFixed(2)),
      server: 'wrangler dev (local workerd, one isolate), autocannon in the same machine',
      encode: {
        requests: result.requests.total,
        concurrency: CONCURRENCY,
        models: `${targets.length} models ${INPUTS}→${HIDDEN}, 2 rows a request`,
        seconds: result.duration,
        requestsPerSecond: Math.round(result.requests.average),
        latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
        ok,
        expected404OfDeletedModels: expected404,
        unexpected: Object.fromEntries(unexpected),
        socketErrors: result.errors,
        timeouts: result.timeouts,
      },
      writes: {
        trained: stats.trained,
        retrained: stats.retrained,
        deleted: stats.deleted,
        failures: stats.failures,
      },
      workerdRssMiB: { before: before.rssMiB, peak, after: after.rssMiB, beforeByPid: before.byPid, afterByPid: after.byPid, timeline },
      // The same number of requests to GET /healthz (no model, no storage) on a fresh server: how
      // much of the RSS growth above is workerd and wrangler dev's own, not the model cache's.
      baselineHealthzRssMiB: await healthzBaseline(),
      modelCacheBound: 'MODEL_CACHE_ENTRIES 16, MODEL_CACHE_PARAMETERS 2,000,000',
      nothingLost: lost.length === 0,
      lost,
      rateLimit: {
        token: 'one encode token',
        requests: BURST,
        limit: '1000 per 10 s (wrangler.toml [[ratelimits]])',
        bindingListedByWrangler: /RATE_LIMITER/.test(server.log()),
        answered429: limited,
        statusCodes: burst.statusCodeStats,
      },
    };
    writeFileSync(new URL('./loadtest.json', import.meta.url), `${JSON.stringify(record, null, 2)}\n`);
    console.log(JSON.stringify(record, null, 2));
    const errors = [...unexpected.values()].reduce((a, b) => a + b, 0) + result.errors + result.timeouts + stats.failures.length;
    if (errors > 0 || lost.length > 0 || limited === 0 || ok + expected404 < ENCODE_REQUESTS) {
      console.error('[loadtest] FAILED: unexpected answers, lost data, or no rate limiting');
      process.exitCode = 1;
    }
  } finally {
    await server.stop();
    killAllWranglerDev();
    rmSync(state, { recursive: true, force: true });
  }
}

/** RSS of a fresh wrangler dev's workerd before and after ENCODE_REQUESTS × GET /healthz at CONCURRENCY. */
async function healthzBaseline(): Promise<{ requests: number; before: number; after: number }> {
  const state = mkdtempSync(join(tmpdir(), 'edge-sae-loadtest-baseline-'));
  const server = await startWranglerDev(state);
  try {
    const before = workerdRss(server).rssMiB;
    await autocannon({ url: `${server.base}/healthz`, connections: CONCURRENCY, amount: ENCODE_REQUESTS });
    const after = workerdRss(server).rssMiB;
    log(`baseline: ${ENCODE_REQUESTS} × /healthz, workerd RSS ${before} → ${after} MiB`);
    return { requests: ENCODE_REQUESTS, before, after };
  } finally {
    await server.stop();
    rmSync(state, { recursive: true, force: true });
  }
}

await main();
