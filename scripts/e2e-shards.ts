/**
 * `npm run e2e:shards`: a sharded encoder end to end through a real `wrangler dev` (issue 27 item 5;
 * docs/ENCODING.md, Sharded encoders). Not part of `npm test` (it writes a 604 MB model file and
 * takes minutes).
 *
 *  1. A 2304 → 65536 jumprelu model with bf16 weights (encoder 302 MB), generated from seed 27:
 *     W_enc, b_enc and θ random, W_dec zeros (encode never reads it; the file stays a valid model).
 *  2. The library's answer: an encode-only session of the file's bytes (EncodingSession.fromBytes)
 *     encodes 100 rows, each row's top 32 kept (selectSparse).
 *  3. The file is written into wrangler dev's local R2 (its persisted state, through miniflare's R2
 *     binding, with the summary in customMetadata as the Worker's model store writes it): imports
 *     go through one request body (MAX_MODEL_BYTES), and uploads in parts are another branch's.
 *  4. wrangler dev with the default ENCODE_SHARD_BYTES (32 MiB): the model is 10 shards. The first
 *     encode warms them (cold); then the 100 rows' top 32 are compared with the library's.
 *  5. One-row top-32 encodes at concurrency 1 and 8: p50 and p99.
 *  6. Ten-row encodes at concurrency 8 while shard 4 is restarted (POST …/shards/4/restart, its
 *     object aborted as a crash would): the encodes in flight on it answer 503 with Retry-After,
 *     every 200 is the library's answer, and after it the encodes are whole and correct again.
 *
 * Figures go to bench/e2e-shards.json; `npm run docs` renders them into docs/ENCODING.md.
 *
 * Under wrangler dev the defaults do not pass: every shard runs in one local isolate, and 302 MB of
 * slices there are reset after each request (docs/ENCODING.md says what was measured). The
 * documented table is `E2E_HIDDEN=4096 E2E_SHARD_BYTES=4194304 npm run e2e:shards`.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Miniflare } from 'miniflare';
import { loadNodeBackend } from '../src/backends/node-providers.js';
import { resolveModelConfig, resolveTrainingOptions } from '../src/model/config.js';
import { EncodingSession } from '../src/model/encoding-session.js';
import { inferenceBytes, toBinaryModelFile } from '../src/model/model-file-binary.js';
import type { ModelState } from '../src/model/model-file.js';
import { selectSparse } from '../src/model/sparse-codes.js';
import { SeededRandom } from '../src/model/random.js';
import { planShards } from '../src/api/shards/plan.js';
import { DEFAULT_LIMITS } from '../src/api/limits.js';
import { DEV_ADMIN_TOKEN, DEV_ENCODE_TOKEN, killAllWranglerDev, sleep, startWranglerDev, type DevServer } from '../test/helpers/wrangler-dev.js';
import { REPO_ROOT } from '../test/helpers/cli.js';
import { treeRssMb } from '../test/helpers/process-rss.js';
import { renderShards, type ShardsResults } from '../bench/e2e-shards-table.js';
import { writeRegion } from './docs/regions.js';
import { REGION_FILES } from './docs/targets.js';

const N = 2304;
/** E2E_HIDDEN and E2E_SHARD_BYTES: a smaller run (debugging), not the documented one. */
const H = Number(process.env.E2E_HIDDEN ?? 65536);
const SHARD_BYTES = Number(process.env.E2E_SHARD_BYTES ?? DEFAULT_LIMITS.encodeShardBytes);
const ROWS = 100;
const TOP = 32;
const SEED = 27;
const MODEL_ID = 'shardsshardsshardsshardsshards22'; // 32 base32 characters: an id
/** Restarts of the killed shard, 40 ms apart. */
const KILLS = 5;
const RESULTS = join(REPO_ROOT, 'bench', 'e2e-shards.json');

/** float32 → bfloat16 bits, round to nearest even. */
function bf16(value: number, scratch: Float32Array, bits: Uint32Array): number {
  scratch[0] = value;
  const b = bits[0]!;
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

function generateModel(): { file: Uint8Array; state: ModelState } {
  const random = new SeededRandom(SEED);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  const W1 = new Uint16Array(N * H);
  for (let k = 0; k < W1.length; k++) W1[k] = bf16((random.nextFloat() - 0.5) * 0.1, f, u);
  const b1 = Float32Array.from({ length: H }, () => (random.nextFloat() - 0.5) * 0.2);
  const theta = Float32Array.from({ length: H }, () => 0.5 + random.nextFloat() * 0.5);
  const config = resolveModelConfig(N, { architecture: 'jumprelu', hiddenSize: H, normalize: 'none' });
  const state = {
    shape: { inputSize: N, hiddenSize: H },
    config,
    normalization: { kind: 'none' },
    parameters: { W1: new Float32Array(0), W2: new Float32Array(0), b1, b2: new Float32Array(N), theta },
    training: { ...resolveTrainingOptions({}), epochsCompleted: 0 },
    trainedWith: 'assemblyscript',
    optimizerState: null,
    metrics: null,
    lossHistory: [],
    stored: { dtype: 'bf16', W1: { dtype: 'bf16', bits: W1 }, W2: { dtype: 'bf16', bits: new Uint16Array(N * H) } },
  } as unknown as ModelState;
  return { file: toBinaryModelFile(state), state };
}

/** 100 rows of k/64, k ∈ [−128, 128]: short in JSON, exact in float32. */
function rows(): number[][] {
  const random = new SeededRandom(SEED + 1);
  return Array.from({ length: ROWS }, () => Array.from({ length: N }, () => (random.nextBelow(257) - 128) / 64));
}

interface Features {
  indices: number[];
  values: number[];
}

async function encode(base: string, inputs: number[][]): Promise<{ status: number; retryAfter: string | null; features?: Features[]; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${base}/v1/models/${MODEL_ID}/encode`, {
    method: 'POST',
    headers: { authorization: `Bearer ${DEV_ENCODE_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ inputs, top: TOP }),
  });
  const text = await res.text();
  const ms = performance.now() - started;
  if (res.status !== 200) {
    if (process.env.E2E_VERBOSE) console.error(`${res.status}: ${text.slice(0, 400)}`);
    return { status: res.status, retryAfter: res.headers.get('retry-after'), ms };
  }
  return { status: 200, retryAfter: null, features: (JSON.parse(text) as { features: Features[] }).features, ms };
}

function same(a: Features, b: Features): boolean {
  return a.indices.length === b.indices.length && a.indices.every((j, e) => j === b.indices[e] && a.values[e] === b.values[e]);
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** `count` requests, `concurrency` in flight, each from `make(i)`. */
async function load<T>(count: number, concurrency: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        out[i] = await make(i);
      }
    }),
  );
  return out;
}

async function main(): Promise<void> {
  // E2E_STATE: keep (and reuse) wrangler dev's state there, the model already stored (debugging).
  const kept = process.env.E2E_STATE;
  const dir = kept ?? mkdtempSync(join(tmpdir(), 'edge-sae-shards-'));
  let server: DevServer | undefined;
  const loadAtStart = loadavg();
  try {
    let t = performance.now();
    const { file } = generateModel();
    console.error(`model: ${N} → ${H} bf16, file ${(file.length / 1e6).toFixed(0)} MB, generated in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const inputs = rows();

    // 2. The library's answer.
    t = performance.now();
    const { backend } = await loadNodeBackend('assemblyscript');
    const session = EncodingSession.fromBytes(file, backend);
    const encoderBytes = session.weightBytes;
    const topOf = (data: number[][]): Features[] => {
      const sparse = selectSparse(session.encode(data), { top: TOP });
      return Array.from({ length: data.length }, (_, i) => ({
        indices: Array.from(sparse.indices.subarray(sparse.offsets[i]!, sparse.offsets[i + 1]!)),
        values: Array.from(sparse.values.subarray(sparse.offsets[i]!, sparse.offsets[i + 1]!)),
      }));
    };
    const expected = topOf(inputs);
    // One row at a time takes the rows kernel (100 rows the GEMM): the library's answer for each alone.
    const expectedOne = inputs.map((row) => topOf([row])[0]!);
    // Ten rows at a time (the kill phase), as the library encodes ten.
    const expectedTen = Array.from({ length: ROWS / 10 }, (_, b) => topOf(inputs.slice(b * 10, b * 10 + 10))).flat();
    session.dispose();
    console.error(`library: session and 100 rows in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    // 3. Into wrangler dev's local R2.
    t = performance.now();
    const state = join(dir, 'wrangler-state');
    if (!kept || !existsSync(state)) {
    // The body goes to a worker of miniflare's own that puts it (a binding call from Node would
    // serialise 605 MB as one string); the request's length is known, as R2's put needs.
    const script = `export default { async fetch(request, env) {
      await env.MODELS.put(new URL(request.url).pathname.slice(1), request.body, { httpMetadata: { contentType: 'application/octet-stream' }, customMetadata: JSON.parse(request.headers.get('x-metadata')) });
      return new Response('stored');
    } }`;
    const mf = new Miniflare({ modules: true, script, r2Buckets: { MODELS: 'edge-sae-models' }, r2Persist: join(state, 'wrangler', 'v3', 'r2') });
    const now = new Date().toISOString();
    const metadata = { inferenceBytes: String(inferenceBytes(file)), name: 'e2e-shards 2304x65536 bf16', inputSize: String(N), hiddenSize: String(H), version: '1', createdAt: now, updatedAt: now };
    const put = await mf.dispatchFetch(`http://local/models/${MODEL_ID}.json`, { method: 'PUT', body: file, headers: { 'x-metadata': JSON.stringify(metadata), 'content-length': String(file.length) } });
    if (put.status !== 200) throw new Error(`the local R2 put answered ${put.status}: ${await put.text()}`);
    await put.text();
    await mf.dispose();
    console.error(`stored in local R2 in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }

    // 4. wrangler dev; the first encode warms the shards.
    server = await startWranglerDev(state, { ENCODE_SHARD_BYTES: String(SHARD_BYTES) });
    const base = server.base;
    const pid = server.child.pid!;
    let peakRss = 0;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, treeRssMb(pid, 'workerd'));
      if (process.env.E2E_VERBOSE) console.error(`workerd ${treeRssMb(pid, 'workerd').toFixed(0)} MB`);
    }, process.env.E2E_VERBOSE ? 2000 : 250);
    const rssBefore = treeRssMb(pid, 'workerd');
    const summary = await fetch(`${base}/v1/models/${MODEL_ID}`, { headers: { authorization: `Bearer ${DEV_ADMIN_TOKEN}` } });
    if (summary.status !== 200) throw new Error(`the model is not in wrangler dev's R2: GET answered ${summary.status} ${await summary.text()}`);
    const cold = await encode(base, inputs.slice(0, 1));
    if (cold.status !== 200) throw new Error(`the cold encode answered ${cold.status}:\n${server.log().slice(-3000)}`);
    const rssWarm = treeRssMb(pid, 'workerd');
    console.error(`cold encode (every shard loads its slice): ${(cold.ms / 1000).toFixed(1)} s`);
    const all = await encode(base, inputs);
    if (!all.features) throw new Error(`the 100-row encode answered ${all.status}:\n${server.log().slice(-5000)}`);
    const equalRows = all.features.filter((row, i) => same(row, expected[i]!)).length;
    const sameIndexRows = all.features.filter((row, i) => row.indices.every((j, e) => j === expected[i]!.indices[e])).length;
    console.error(`top-32 of 100 rows: ${equalRows} rows identical to the library's (indices and values), ${sameIndexRows} with the same indices`);

    // 5. Latency, one row a request.
    const latency: ShardsResults['latency'] = [];
    for (const [concurrency, count] of [[1, 60], [8, 240]] as const) {
      await load(8, concurrency, (i) => encode(base, [inputs[i % ROWS]!])); // warm-up
      const results = await load(count, concurrency, (i) => encode(base, [inputs[i % ROWS]!]));
      const ok = results.filter((r) => r.status === 200);
      const wrong = results.filter((r, i) => r.status === 200 && !same(r.features![0]!, expectedOne[i % ROWS]!)).length;
      const ms = results.map((r) => r.ms);
      latency.push({ rows: 1, concurrency, requests: count, p50Ms: round(percentile(ms, 50)), p99Ms: round(percentile(ms, 99)), non200: count - ok.length, differentFromLibrary: wrong });
      console.error(`1 row, concurrency ${concurrency}: p50 ${percentile(ms, 50).toFixed(1)} ms, p99 ${percentile(ms, 99).toFixed(1)} ms`);
    }
    const rssServing = treeRssMb(pid, 'workerd');

    // 6. A shard killed mid-request.
    const killed = 4;
    const answers: { status: number; retryAfter: string | null; correct: boolean; at: number }[] = [];
    const start = performance.now();
    let killedAt = 0;
    // The restart comes once 40 answers are in, with 8 encodes in flight and 360 still to send.
    let arrived = 0;
    let reached!: () => void;
    const forty = new Promise<void>((done) => (reached = done));
    const stream = load(400, 8, async (i) => {
      const first = (i * 10) % ROWS;
      const r = await encode(base, inputs.slice(first, first + 10));
      const correct = r.features ? r.features.every((row, e) => same(row, expectedTen[first + e]!)) : false;
      answers[i] = { status: r.status, retryAfter: r.retryAfter, correct, at: performance.now() - start };
      if (++arrived === 40) reached();
      return r;
    });
    await forty;
    // A shard computes each encode in one synchronous step, so a kill lands between encodes: the
    // first restart drops its slice, the encodes that reach it then wait for the reload, and the
    // next restarts, 40 ms apart, kill it during those reloads with encodes in flight.
    const restartShard = async () => {
      const restart = await fetch(`${base}/v1/models/${MODEL_ID}/shards/${killed}/restart`, { method: 'POST', headers: { authorization: `Bearer ${DEV_ADMIN_TOKEN}` } });
      if (restart.status !== 202) throw new Error(`restart answered ${restart.status} ${await restart.text()}`);
    };
    await restartShard();
    killedAt = performance.now() - start;
    const loadedBefore = (server.log().match(/"event":"shard.loaded"/g) ?? []).length;
    for (let k = 0; k < KILLS - 1; k++) {
      await sleep(40);
      await restartShard();
    }
    await stream;
    const after = await encode(base, inputs.slice(0, 10));
    if (process.env.E2E_VERBOSE) console.error(server.log().slice(-6000));
    const failures = answers.filter((a) => a.status !== 200);
    const kill: ShardsResults['kill'] = {
      shard: killed,
      restarts: KILLS,
      requests: answers.length,
      rowsEach: 10,
      killedAtMs: round(killedAt),
      ok: answers.length - failures.length,
      okCorrect: answers.filter((a) => a.status === 200 && a.correct).length,
      status503: failures.filter((a) => a.status === 503).length,
      status503WithRetryAfter: failures.filter((a) => a.status === 503 && a.retryAfter !== null).length,
      otherStatus: failures.filter((a) => a.status !== 503).length,
      lastFailureAtMs: failures.length > 0 ? round(Math.max(...failures.map((a) => a.at))) : null,
      reloadsAfterRestart: (server.log().match(/"event":"shard.loaded"/g) ?? []).length - loadedBefore,
      afterwardsCorrect: after.status === 200 && after.features!.every((row, e) => same(row, expectedTen[e]!)),
    };
    console.error(`kill: ${JSON.stringify(kill)}`);
    clearInterval(sampler);

    const plan = planShards(N, H, 2, 'jumprelu', SHARD_BYTES)!;
    const results: ShardsResults = {
      date: new Date().toISOString().slice(0, 10),
      machine: `${cpus().length} cores (${cpus()[0]?.model.split(' ').slice(0, 2).join(' ') ?? 'unknown'}), Node ${process.version}`,
      loadAverage: { start: loadAtStart.map(round), end: loadavg().map(round) },
      model: { inputSize: N, hiddenSize: H, architecture: 'jumprelu', dtype: 'bf16', encoderBytes, fileBytes: file.length, seed: SEED },
      shards: { count: plan.shards.length, encodeShardBytes: SHARD_BYTES, columns: plan.shards.map((s) => s.to - s.from) },
      coldEncodeMs: round(cold.ms),
      accuracy: { rows: ROWS, top: TOP, identicalRows: equalRows, sameIndicesRows: sameIndexRows },
      latency,
      kill,
      workerdRssMb: { beforeFirstEncode: round(rssBefore), afterWarm: round(rssWarm), serving: round(rssServing), peak: round(peakRss) },
    };
    writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
    writeRegion(join(REPO_ROOT, REGION_FILES.e2eShards), 'e2e-shards', renderShards(results));
    console.error(`wrote ${RESULTS} and the table in ${REGION_FILES.e2eShards}`);
    const pass = equalRows === ROWS && kill.okCorrect === kill.ok && kill.otherStatus === 0 && kill.afterwardsCorrect && latency.every((l) => l.non200 === 0 && l.differentFromLibrary === 0);
    if (!pass) process.exitCode = 1;
  } finally {
    await server?.stop();
    killAllWranglerDev();
    if (!kept) rmSync(dir, { recursive: true, force: true });
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

void main();
