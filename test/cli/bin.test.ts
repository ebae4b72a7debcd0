/**
 * The `edge-sae` command in a clone: `npm ci` builds dist/ (package.json's prepare script), so
 * bin/edge-sae.js and `npx edge-sae` run the CLI; without dist/ the bin says in one line what to
 * run instead of dying with Node's ERR_MODULE_NOT_FOUND stack trace.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli, runNodeProcess } from '../helpers/cli.js';

const root = mkdtempSync(path.join(tmpdir(), 'edge-sae-bin-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('bin/edge-sae.js', () => {
  it('should run the built CLI (npm ci builds dist/)', async () => {
    const r = await runCli(['--help'], { mode: 'bin' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('edge-sae train');
  });

  it('should say what to run when dist/ is missing, in one line, without a stack trace', async () => {
    // The real bin, in a copy of the repository's layout that has no dist/.
    mkdirSync(path.join(root, 'bin'));
    copyFileSync(path.join(REPO_ROOT, 'bin', 'edge-sae.js'), path.join(root, 'bin', 'edge-sae.js'));
    const r = await runNodeProcess([path.join(root, 'bin', 'edge-sae.js'), '--help'], { cwd: root });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`edge-sae: the CLI is not built (${path.join(root, 'dist', 'src', 'cli', 'main.js')} is missing): run \`npm run build\` in ${root} (npm ci runs it too)\n`);
  });

  it('should run as `npx edge-sae` in the clone, without asking the registry', async () => {
    const { stdout } = await promisify(execFile)('npx', ['--no-install', 'edge-sae', '--help'], { cwd: REPO_ROOT, env: { ...process.env, npm_config_update_notifier: 'false' } });
    expect(stdout).toContain('edge-sae train');
  });

  it('should be built by `npm ci` (the prepare script), and packed from the same build', () => {
    const scripts = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    // npm runs prepare after `npm ci` / `npm install` in a clone and before `npm pack`;
    // test/e2e/packed-package.test.ts packs an unbuilt clone, so prepare building dist/ is tested there.
    expect(scripts.prepare).toContain('npm run build:ts');
    expect(scripts.prepare).toContain('ensure-wasm.mjs');
    expect(scripts.prepack).toBeUndefined(); // it would build a second time on pack
  });
});
