/**
 * The package as a user gets it: the repository's files copied into a directory with no dist/
 * and no build/ (an unbuilt clone), `npm pack` there (its prepare script builds, as `npm ci` does in a clone), and the tarball
 * installed into a new scratch project beside the optional peers the typed client needs.
 */
import { execFileSync, type ExecFileSyncOptions } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface PackedPackage {
  /** The scratch project that installed the tarball. */
  project: string;
  /** Every path inside the tarball (without the leading "package/"). */
  files: string[];
  /** The working directory everything ran under (remove it when done). */
  workDir: string;
  /** The packed tarball. */
  tarball: string;
}

const run = (command: string, args: string[], options: ExecFileSyncOptions) =>
  execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 240_000, ...options }) as string;

/** Copies what git would check out (tracked files and new ones not ignored) into `to`. */
function copyCheckout(to: string): void {
  const listed = run('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT }).split('\0').filter(Boolean);
  for (const path of listed) {
    mkdirSync(dirname(join(to, path)), { recursive: true });
    try {
      copyFileSync(join(ROOT, path), join(to, path));
    } catch (error) {
      // A file deleted in the work tree but not yet in the index: a clone would not have it.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  // The clone's `npm ci`: the repository's own node_modules stand in for it.
  symlinkSync(join(ROOT, 'node_modules'), join(to, 'node_modules'), 'dir');
}

/** Packs an unbuilt copy of the repository and installs it into a scratch project. */
export function packAndInstall(): PackedPackage {
  const workDir = mkdtempSync(join(tmpdir(), 'edge-sae-pack-'));
  const clone = join(workDir, 'clone');
  copyCheckout(clone);
  const env = { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false', npm_config_audit: 'false' };
  run('npm', ['pack', '--pack-destination', workDir], { cwd: clone, env });
  const tarball = readdirSync(workDir).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error('npm pack wrote no tarball');
  const files = run('tar', ['-tzf', join(workDir, tarball)], { cwd: workDir })
    .split('\n')
    .filter(Boolean)
    .map((path) => path.replace(/^package\//, ''));

  const project = join(workDir, 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'scratch', private: true, type: 'module' }));
  const peers = ['hono', '@hono/zod-openapi', 'zod'].map((name) => `${name}@${devVersion(name)}`);
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(workDir, tarball), ...peers], { cwd: project, env });
  return { project, files, workDir, tarball: join(workDir, tarball) };
}

/** The version of a dev dependency the repository pins (the peers are installed at the same). */
function devVersion(name: string): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  return pkg.devDependencies[name]!;
}
