/**
 * End to end through the real `wrangler dev` (Node side): start it as `npm run dev` does (same
 * flags and dev tokens, but a free port and a temporary --persist-to), train a model, stop the
 * server, start it again on the same state, and encode with the model: it is still there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const WRANGLER = join(ROOT, 'node_modules', '.bin', 'wrangler');
/** The documented dev tokens (package.json "dev" script, docs/API.md). */
const DEV_ADMIN_TOKEN = 'dev-admin-token';
const DEV_ENCODE_TOKEN = 'dev-encode-token';
const START_TIMEOUT_MS = 60_000;

const state = mkdtempSync(join(tmpdir(), 'edge-sae-e2e-'));
const running = new Set<ChildProcess>();

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

interface DevServer {
  base: string;
  stop(): Promise<void>;
}

async function startDev(): Promise<DevServer> {
  const port = await freePort();
  const child = spawn(
    WRANGLER,
    [
      'dev',
      '--ip', '127.0.0.1',
      '--port', String(port),
      '--persist-to', join(state, 'wrangler'),
      '--var', `API_TOKEN:${DEV_ADMIN_TOKEN}`,
      '--var', `ENCODE_TOKENS:${DEV_ENCODE_TOKEN}`,
      '--show-interactive-dev-session=false',
    ],
    {
      cwd: ROOT,
      // Its own process group, so stopping it also stops the workerd it starts.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', XDG_CONFIG_HOME: join(state, 'config'), CI: '1', NO_COLOR: '1' },
    },
  );
  running.add(child);
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const killed = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!killed) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
        await exited;
      }
    }
    running.delete(child);
  };

  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return { base, stop };
    } catch {
      // not up yet
    }
    await sleep(250);
  }
  await stop();
  throw new Error(`wrangler dev did not start within ${START_TIMEOUT_MS} ms:\n${log.slice(-3000)}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

function api(base: string, path: string, token: string, json?: unknown): Promise<Response> {
  return fetch(base + path, {
    method: json === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    body: json === undefined ? undefined : JSON.stringify(json),
    signal: AbortSignal.timeout(30_000),
  });
}

afterAll(async () => {
  for (const child of running) {
    if (child.pid !== undefined) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
  rmSync(state, { recursive: true, force: true });
});

const DATA = [
  [0, 0.5, 1],
  [1, 0.25, 0],
  [0.5, 0.75, 0.25],
  [0.2, 0.1, 0.9],
];

describe('wrangler dev', () => {
  it('should keep a trained model across a restart', { timeout: 180_000 }, async () => {
    let server = await startDev();
    let id: string;
    let codes: number[][];
    try {
      const health = (await (await fetch(`${server.base}/healthz`)).json()) as { status: string; backend: string };
      expect(health).toMatchObject({ status: 'ok', backend: 'assemblyscript' });

      const trained = await api(server.base, '/v1/models', DEV_ADMIN_TOKEN, { data: DATA, name: 'e2e', training: { epochs: 20 } });
      expect(trained.status, await trained.clone().text()).toBe(201);
      id = ((await trained.json()) as { id: string }).id;

      const encoded = await api(server.base, `/v1/models/${id}/encode`, DEV_ENCODE_TOKEN, { inputs: DATA });
      expect(encoded.status).toBe(200);
      codes = ((await encoded.json()) as { codes: number[][] }).codes;
      expect(codes).toHaveLength(4);
      // The encode token may not write.
      expect((await api(server.base, '/v1/models', DEV_ENCODE_TOKEN, { data: DATA })).status).toBe(403);
    } finally {
      await server.stop();
    }

    server = await startDev();
    try {
      const detail = await api(server.base, `/v1/models/${id}`, DEV_ENCODE_TOKEN);
      expect(detail.status).toBe(200);
      expect(await detail.json()).toMatchObject({ id, name: 'e2e', inputSize: 3, hiddenSize: 9, version: 1 });
      const encoded = await api(server.base, `/v1/models/${id}/encode`, DEV_ENCODE_TOKEN, { inputs: DATA });
      expect(encoded.status).toBe(200);
      expect(((await encoded.json()) as { codes: number[][] }).codes).toEqual(codes);
    } finally {
      await server.stop();
    }
  });
});
