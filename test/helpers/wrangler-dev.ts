/**
 * Starts the real `wrangler dev` as `npm run dev` does (same flags and dev tokens) but on a free
 * port and with state in a directory of the caller's, in its own process group so that stopping
 * it also stops the workerd it starts. Used by the e2e tests and the load benchmark, and (with
 * another config) by the workerd kernel benchmark.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
const WRANGLER = join(ROOT, 'node_modules', '.bin', 'wrangler');
/** The documented dev tokens (package.json "dev" script, docs/API.md). */
export const DEV_ADMIN_TOKEN = 'dev-admin-token';
export const DEV_ENCODE_TOKEN = 'dev-encode-token';
const START_TIMEOUT_MS = 150_000; // generous: a first start may build the kernels (scripts/ensure-wasm.mjs)

const running = new Set<ChildProcess>();

export interface DevServer {
  base: string;
  /** The wrangler process (its pid leads the process group). */
  child: ChildProcess;
  /** Everything it printed so far. */
  log(): string;
  /** SIGTERM to the group, SIGKILL after 10 s. */
  stop(): Promise<void>;
  /** SIGKILL to the group at once: a crash, for resume tests. */
  kill(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

export interface DevOptions {
  /**
   * Another wrangler config (path from the repository root) instead of ./wrangler.toml: a
   * bench-only Worker (bench/workerd/wrangler.toml). Its Worker must answer GET /healthz with 200.
   */
  config?: string;
  /** Open V8's inspector for the Worker on this port (`--inspector-port`; scripts/inspector.ts speaks to it). */
  inspectorPort?: number;
}

/** Starts wrangler dev with state under `stateDir` (persisted across restarts on the same dir). */
export async function startWranglerDev(stateDir: string, extraVars: Record<string, string> = {}, options: DevOptions = {}): Promise<DevServer> {
  const port = await freePort();
  const vars = { API_TOKEN: DEV_ADMIN_TOKEN, ENCODE_TOKENS: DEV_ENCODE_TOKEN, ...extraVars };
  const child = spawn(
    WRANGLER,
    [
      'dev',
      ...(options.config === undefined ? [] : ['--config', options.config]),
      ...(options.inspectorPort === undefined ? [] : ['--inspector-port', String(options.inspectorPort)]),
      '--ip', '127.0.0.1',
      '--port', String(port),
      '--persist-to', join(stateDir, 'wrangler'),
      ...Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
      '--show-interactive-dev-session=false',
    ],
    {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', XDG_CONFIG_HOME: join(stateDir, 'config'), CI: '1', NO_COLOR: '1' },
    },
  );
  running.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const alive = () => child.exitCode === null && child.signalCode === null;

  const stop = async () => {
    if (alive()) {
      signalGroup(child, 'SIGTERM');
      const ended = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
      if (!ended) {
        signalGroup(child, 'SIGKILL');
        await exited;
      }
    }
    running.delete(child);
  };
  const kill = async () => {
    if (alive()) {
      signalGroup(child, 'SIGKILL');
      await exited;
    }
    running.delete(child);
  };

  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline && alive()) {
    try {
      const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return { base, child, log: () => output, stop, kill };
    } catch {
      // not up yet
    }
    await sleep(250);
  }
  await stop();
  throw new Error(`wrangler dev did not start within ${START_TIMEOUT_MS} ms:\n${output.slice(-3000)}`);
}

/** Kills every server still running (for afterAll). */
export function killAllWranglerDev(): void {
  for (const child of running) signalGroup(child, 'SIGKILL');
  running.clear();
}

/** A JSON request with a bearer token (GET without a body, POST with one). */
export function api(base: string, path: string, token: string, json?: unknown): Promise<Response> {
  return fetch(base + path, {
    method: json === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${token}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
    body: json === undefined ? undefined : JSON.stringify(json),
    signal: AbortSignal.timeout(60_000),
  });
}
