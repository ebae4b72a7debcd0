/**
 * Runs the edge-sae CLI as a child process, as a user would, and collects what it printed.
 * By default it runs the TypeScript source through tsx's loader, so tests need no tsc build; `mode: 'bin'`
 * runs bin/edge-sae.js against the built dist/ instead. runNodeProcess, underneath, runs any node
 * command line the same way.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  /** 'tsx' (default): `node --import tsx src/cli/main.ts`; 'bin': `node bin/edge-sae.js` (needs `npm run build:ts`). */
  mode?: 'tsx' | 'bin';
  cwd?: string;
  /** Written to the child's stdin, then closed. */
  input?: string;
  env?: NodeJS.ProcessEnv;
  /** Kills the child after this many milliseconds; default 60 000. */
  timeoutMs?: number;
}

/** True when `npm run build:ts` has produced the CLI the bin shim imports. */
export function isCliBuilt(): boolean {
  return existsSync(path.join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js'));
}

/**
 * @example
 * const { code, stdout, stderr } = await runCli(['evaluate', '--model', m, '--data', d]);
 */
export function runCli(args: readonly string[], options: RunCliOptions = {}): Promise<CliResult> {
  const mode = options.mode ?? 'tsx';
  // The source through tsx's loader in one node process (`node --import tsx`, the loader named by its
  // file URL so any cwd resolves it): tsx's own CLI would start a second node process, about half
  // a second more a call. The same on every platform.
  const command =
    mode === 'tsx'
      ? ['--import', pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href, path.join(REPO_ROOT, 'src', 'cli', 'main.ts')]
      : [path.join(REPO_ROOT, 'bin', 'edge-sae.js')];
  return runNodeProcess([...command, ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env,
    input: options.input ?? '',
    timeoutMs: options.timeoutMs,
  });
}

export interface RunNodeOptions {
  cwd: string;
  /** Added to this process's environment (and NO_COLOR=1). */
  env?: NodeJS.ProcessEnv;
  /** Written to the child's stdin, then closed; without it, stdin is not connected. */
  input?: string;
  /** Kills the child after this many milliseconds; default 60 000. */
  timeoutMs?: number;
}

/**
 * Runs `node <nodeArgs>` as a child process and collects what it printed.
 *
 * @example
 * const { code, stdout } = await runNodeProcess(['--jitless', script], { cwd: REPO_ROOT });
 */
export function runNodeProcess(nodeArgs: readonly string[], options: RunNodeOptions): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs, {
      cwd: options.cwd,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}

/**
 * Runs the CLI's `main` in this process (much faster than a child process), capturing what it
 * prints. Relative paths resolve against this process's cwd, so pass absolute ones.
 *
 * @example
 * const { code, stderr } = await runMain(['train', '--data', abs('d.csv'), '--out', abs('m.json')]);
 */
export async function runMain(args: readonly string[], options: { stderrIsTTY?: boolean } = {}): Promise<CliResult & { code: number }> {
  const { main } = await import('../../src/cli/main.js');
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    stderrIsTTY: options.stderrIsTTY ?? false,
  });
  return { code, stdout, stderr };
}
