/**
 * Jobs end to end through the real `wrangler dev` (Node side), on data too large for the
 * synchronous endpoint: 20,000 rows × 64 columns, 192 hidden units, 30 epochs in mini-batches of
 * 256 (≈ 8.8e10 floating-point operations, 2,370 optimizer steps).
 *
 * The job is killed a third of the way through (SIGKILL to wrangler dev's process group, so
 * workerd dies without warning), wrangler dev is started again on the same --persist-to state,
 * the job resumes from its last checkpoint, completes, and its model file equals the library's
 * one-go result in Node (same AssemblyScript kernels, same seed) exactly: weights, Adam state,
 * loss history, metrics. (An uninterrupted job's equality is shown in workerd by
 * test/worker/jobs.test.ts; one job here keeps the suite's time down.)
 * Every slice's logged wall time stays under SLICE_BOUND_MS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNodeBackend } from '../../src/backends/node-providers.js';
import { SeededRandom } from '../../src/model/random.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { DEV_ADMIN_TOKEN as ADMIN, killAllWranglerDev, sleep, startWranglerDev } from '../helpers/wrangler-dev.js';

/**
 * Short slices, so the job spans a dozen or more of them and the test reliably sees it running
 * before the crash, whatever the machine's speed.
 */
const SLICE_MS = 300;
/** The bound each slice's logged wall time must stay under: generous, for loaded CI machines. */
const SLICE_BOUND_MS = 10 * SLICE_MS;

const ROWS = 20_000;
const COLS = 64;
const TRAINING = { epochs: 30, batchSize: 256, seed: 7, learningRate: 0.001 };

const state = mkdtempSync(join(tmpdir(), 'edge-sae-jobs-e2e-'));

/** wrangler dev with the dev tokens and short job slices, on this test's state. */
async function startDev() {
  const server = await startWranglerDev(state, { JOB_SLICE_MS: String(SLICE_MS) });
  return { base: server.base, log: server.log, stop: (crash = false) => (crash ? server.kill() : server.stop()) };
}

/**
 * A request with the admin token. GETs are retried for a while on connection errors: wrangler
 * dev reloads the Worker when its build inputs change, which drops connections.
 */
async function api(base: string, path: string, init: { method?: string; json?: unknown; body?: BodyInit; type?: string } = {}): Promise<Response> {
  const body = init.json !== undefined ? JSON.stringify(init.json) : init.body;
  const type = init.json !== undefined ? 'application/json' : init.type;
  const method = init.method ?? (body === undefined ? 'GET' : 'POST');
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetch(base + path, {
        method,
        headers: { authorization: `Bearer ${ADMIN}`, ...(type ? { 'content-type': type } : {}) },
        body,
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      if (method !== 'GET' || attempt >= 60) throw error;
      await sleep(500);
    }
  }
}

interface Job {
  id: string;
  status: string;
  step: number;
  totalSteps: number;
  epoch: number;
  slices: number;
  modelId: string | null;
  error: unknown;
  lossHistory?: number[];
}

async function getJob(base: string, id: string): Promise<Job> {
  const res = await api(base, `/v1/jobs/${id}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Job;
}

async function waitFor(base: string, id: string, until: (job: Job) => boolean, timeoutMs = 240_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await getJob(base, id);
    if (until(job) || ['succeeded', 'failed', 'cancelled'].includes(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} timed out: ${JSON.stringify({ ...job, lossHistory: undefined })}`);
    await sleep(200);
  }
}

function sliceLogs(log: string): { job: string; wallMs: number; step: number; slice: number }[] {
  return log
    .split('\n')
    .map((line) => line.slice(line.indexOf('{')))
    .filter((line) => line.startsWith('{"event":"job.slice"'))
    .map((line) => JSON.parse(line) as { job: string; wallMs: number; step: number; slice: number });
}

afterAll(() => {
  killAllWranglerDev();
  rmSync(state, { recursive: true, force: true });
});

describe('jobs under wrangler dev', () => {
  it('should train 20,000 × 64 to the one-go weights across a crash and restart', { timeout: 540_000 }, async () => {
    const rng = new SeededRandom(2024);
    const cells = new Float32Array(ROWS * COLS);
    for (let k = 0; k < cells.length; k++) cells[k] = rng.nextFloat() * 10 - 5;
    const matrix = { rows: ROWS, cols: COLS, data: cells };

    let server = await startDev();
    function dumpLog(error: unknown): never {
      console.error(`wrangler dev output (last 6000 characters):\n${server.log().slice(-6000)}`);
      throw error;
    }
    let expected: unknown;
    let resumedId: string;
    let seenBeforeCrash: Job;
    try {
      // Too large for the synchronous endpoint.
      const sync = await api(server.base, '/v1/models', {
        json: { data: Array.from({ length: ROWS }, (_, i) => Array.from(cells.subarray(i * COLS, (i + 1) * COLS))) },
      });
      expect(sync.status).toBe(413);
      expect(((await sync.json()) as { detail: string }).detail).toMatch(/POST \/v1\/jobs/);

      const uploaded = await api(server.base, `/v1/datasets?rows=${ROWS}&cols=${COLS}&name=e2e`, {
        body: new Uint8Array(cells.buffer),
        type: 'application/octet-stream',
      });
      expect(uploaded.status, await uploaded.clone().text()).toBe(201);
      const datasetId = ((await uploaded.json()) as { id: string }).id;

      const submitted = await api(server.base, '/v1/jobs', { json: { datasetId, training: TRAINING } });
      expect(submitted.status, await submitted.clone().text()).toBe(202);
      const first = (await submitted.json()) as Job;
      expect(first.totalSteps).toBe(30 * Math.ceil(ROWS / 256));

      // Kill it in the middle.
      resumedId = first.id;
      seenBeforeCrash = await waitFor(server.base, resumedId, (job) => job.step >= job.totalSteps / 3);
      expect(seenBeforeCrash.status).toBe('running');
      expect(seenBeforeCrash.step).toBeLessThan(seenBeforeCrash.totalSteps);
    } catch (error) {
      dumpLog(error);
    } finally {
      await server.stop(true); // SIGKILL: a crash, not a shutdown
    }
    const slicesBefore = sliceLogs(server.log());

    // While the server is down: the library, in one go, in Node (the same build/kernels.wasm,
    // built by wrangler dev's start).
    const { backend } = await loadNodeBackend('assemblyscript');
    const model = SparseAutoencoder.create(COLS, {}, backend, { seed: TRAINING.seed });
    model.fit(matrix, TRAINING);
    expected = JSON.parse(JSON.stringify(model.toFile()));
    model.dispose();

    server = await startDev();
    try {
      const afterRestart = await getJob(server.base, resumedId);
      expect(['running', 'succeeded']).toContain(afterRestart.status);
      expect(afterRestart.step).toBeGreaterThanOrEqual(seenBeforeCrash.step);
      const done = await waitFor(server.base, resumedId, () => false);
      expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
      expect(done.lossHistory).toHaveLength(30);
      const exported = await api(server.base, `/v1/models/${done.modelId}/export`);
      expect(await exported.json()).toEqual(expected);

      // It resumed from a checkpoint: its first slice after the restart did not start from step 0.
      const slicesAfter = sliceLogs(server.log()).filter((s) => s.job === resumedId);
      expect(slicesAfter.length).toBeGreaterThan(0);
      expect(slicesAfter[0]!.step).toBeGreaterThan(seenBeforeCrash.step);
      const all = [...slicesBefore, ...slicesAfter];
      console.log(JSON.stringify({ slices: all.length, maxWallMs: Math.max(...all.map((s) => s.wallMs)), crashAtStep: seenBeforeCrash.step, resumedAtStep: slicesAfter[0]!.step }));
      // Every slice stayed within the bound.
      for (const slice of [...slicesBefore, ...slicesAfter]) expect(slice.wallMs).toBeLessThan(SLICE_BOUND_MS);
    } catch (error) {
      dumpLog(error);
    } finally {
      await server.stop();
    }
  });
});
