/**
 * What a new user does first, done for real: pack an unbuilt clone (the prepare script builds it), install
 * the tarball into a scratch project, run its bin and import it, type-check the typed client in
 * that project, and run every code block of the README and docs/*.md that is meant to run
 * (test/helpers/doc-blocks.ts says which): the library examples against the installed package,
 * the shell examples (the packed `edge-sae` on the PATH) and the client example against a real
 * `wrangler dev`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDocBlocks, where, type DocBlock } from '../helpers/doc-blocks.js';
import { packAndInstall, ROOT, type PackedPackage } from '../helpers/packed-package.js';
import { killAllWranglerDev, startWranglerDev, type DevServer } from '../helpers/wrangler-dev.js';

const DOCS_HOST = 'http://127.0.0.1:8787';
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');

let pkg: PackedPackage;
let server: DevServer;
const blocks = readDocBlocks(ROOT);

/** A small CSV the examples read as data.csv (8 columns, 40 rows in [0, 1]). */
function writeExampleData(dir: string): void {
  const rows = Array.from({ length: 40 }, (_, i) => Array.from({ length: 8 }, (_, j) => ((i * 31 + j * 17) % 97) / 96));
  writeFileSync(join(dir, 'data.csv'), rows.map((row) => row.join(',')).join('\n') + '\n');
}

/**
 * A fresh directory inside the scratch project (so `edge-sae` resolves) for one block, holding
 * what the examples name: the repository's sample data (examples/data/bars.csv, where a clone has
 * it), data.csv, and m.json, a model trained on it.
 */
function blockDir(block: DocBlock): string {
  const dir = join(pkg.project, 'blocks', `${block.file.replace(/\W/g, '_')}_${block.line}`);
  mkdirSync(join(dir, 'examples', 'data'), { recursive: true });
  copyFileSync(join(ROOT, 'examples', 'data', 'bars.csv'), join(dir, 'examples', 'data', 'bars.csv'));
  // The README's bring-your-own-SAE examples import the tests' small fixture folders, as a clone has them.
  cpSync(join(ROOT, 'test', 'fixtures', 'sae'), join(dir, 'test', 'fixtures', 'sae'), { recursive: true });
  writeExampleData(dir);
  execFileSync(join(pkg.project, 'node_modules', '.bin', 'edge-sae'), ['train', '--data', 'data.csv', '--out', 'm.json', '--epochs', '5', '--quiet'], { cwd: dir });
  return dir;
}

/** The shell examples run with the packed package's `edge-sae` on the PATH. */
const shellEnv = () => ({ ...process.env, PATH: `${join(pkg.project, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` });

beforeAll(async () => {
  pkg = packAndInstall();
  server = await startWranglerDev(join(pkg.workDir, 'dev-state'));
}, 420_000);

afterAll(() => {
  killAllWranglerDev();
  if (pkg) rmSync(pkg.workDir, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('should ship the library, its declarations, the kernels and the bin, and no source maps', () => {
    for (const path of ['bin/edge-sae.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/client.js', 'dist/src/client.d.ts', 'build/kernels.wasm']) {
      expect(pkg.files, path).toContain(path);
    }
    // No source maps (the package ships no sources for them to name), and not the float64 reference (the tests' oracle).
    expect(pkg.files.filter((path) => path.endsWith('.map') || path.startsWith('dist/src/reference/'))).toEqual([]);
  });

  it('should depend at run time only on what the library uses (the Worker\'s HTTP libraries are optional peers)', () => {
    const manifest = JSON.parse(readFileSync(join(pkg.project, 'node_modules', 'edge-sae', 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional: boolean }>;
    };
    // The kernels' fallback and the PNG deflater; hono, @hono/zod-openapi and zod only for the typed client.
    expect(Object.keys(manifest.dependencies).sort()).toEqual(['@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-core', 'fflate']);
    expect(Object.values(manifest.peerDependenciesMeta).every((meta) => meta.optional)).toBe(true);
  });

  it('should run its bin: help, train and encode', () => {
    const dir = join(pkg.project, 'bin-run');
    mkdirSync(dir, { recursive: true });
    writeExampleData(dir);
    const bin = join(pkg.project, 'node_modules', '.bin', 'edge-sae');
    expect(execFileSync(bin, ['--help'], { cwd: dir, encoding: 'utf8' })).toContain('edge-sae train');
    execFileSync(bin, ['train', '--data', 'data.csv', '--out', 'model.json', '--epochs', '20', '--quiet'], { cwd: dir });
    const codes = execFileSync(bin, ['encode', '--model', 'model.json', '--data', 'data.csv'], { cwd: dir, encoding: 'utf8' });
    expect(codes.trim().split('\n')).toHaveLength(40);
  });

  it('should exit 0, quietly, when the reader of its output goes away (| head)', () => {
    const dir = join(pkg.project, 'epipe');
    mkdirSync(dir, { recursive: true });
    // 3,000 rows of 24 codes: far more than a pipe's buffer, so the writes after head exits fail.
    const rows = Array.from({ length: 3000 }, (_, i) => Array.from({ length: 8 }, (_, j) => ((i * 13 + j * 7) % 50) / 49));
    writeFileSync(join(dir, 'big.csv'), rows.map((row) => row.join(',')).join('\n'));
    const bin = join(pkg.project, 'node_modules', '.bin', 'edge-sae');
    execFileSync(bin, ['train', '--data', 'big.csv', '--out', 'model.json', '--epochs', '1', '--quiet'], { cwd: dir });
    const piped = spawnSync('bash', ['-c', `"${bin}" encode --model model.json --data big.csv 2>stderr.txt | head -n 1; echo "status \${PIPESTATUS[0]}"`], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(piped.stdout.trim().split('\n')).toHaveLength(2); // the one row, then the status line
    expect(piped.stdout).toMatch(/status 0\n$/);
    expect(readFileSync(join(dir, 'stderr.txt'), 'utf8')).toBe('');
  });

  it('should type-check the typed client in a consumer project (the key routes too), and catch a wrong body', () => {
    const dir = join(pkg.project, 'client-check');
    mkdirSync(dir, { recursive: true });
    const clientBlocks = blocks.filter((block) => block.mode === 'client');
    expect(clientBlocks.length).toBeGreaterThan(0);
    clientBlocks.forEach((block, i) => writeFileSync(join(dir, `block${i}.ts`), `export {};\n${block.code}`));
    writeFileSync(
      join(dir, 'wrong.ts'),
      [
        "import { createClient } from 'edge-sae/client';",
        "const api = createClient('http://127.0.0.1:8787', { token: 't' });",
        '// @ts-expect-error: hiddenSize is a number (if AppType were `any`, this directive would be the error)',
        "export const call = api.v1.models.$post({ json: { data: [[0]], config: { hiddenSize: 'six' } }, query: {} });",
        '// The key routes: a valid request compiles, a scope that does not exist does not.',
        "export const key = api.v1.keys.$post({ json: { name: 'app', scopes: ['models:read', 'models:encode'], models: ['q3x7w2mbn4d5kfy6hj2a7c5v3t4rplzs'], expiresAt: '2099-01-01T00:00:00Z' } });",
        "export const revoke = api.v1.keys[':id'].$delete({ param: { id: 'q3x7w2mbn4d5kfy6hj2a7c5v3t4rplzs' } });",
        "export const trail = api.v1.audit.$get({ query: { limit: '10' } });",
        '// @ts-expect-error: scopes are the names the API knows (src/api/scopes.ts)',
        "export const wrongKey = api.v1.keys.$post({ json: { name: 'app', scopes: ['models:fly'] } });",
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022', 'DOM'], strict: true, noEmit: true, skipLibCheck: true },
        include: ['*.ts'],
      }),
    );
    const checked = spawnSync(TSC, ['-p', dir], { cwd: dir, encoding: 'utf8' });
    expect(checked.stdout + checked.stderr).toBe('');
    expect(checked.status).toBe(0);
  });
});

describe('the typed client of the packed package', () => {
  it('should compile the client examples in a strict project without skipLibCheck', () => {
    // skipLibCheck would hide an error inside the package's own declarations (dist/src/**/*.d.ts),
    // such as a name only wrangler's generated types declare (Cloudflare.Env).
    const dir = join(pkg.project, 'client-strict');
    mkdirSync(dir, { recursive: true });
    const clientBlocks = blocks.filter((block) => block.mode === 'client');
    expect(clientBlocks.length).toBeGreaterThan(0);
    clientBlocks.forEach((block, i) => writeFileSync(join(dir, `block${i}.ts`), `export {};\n${block.code}`));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022', 'DOM'], strict: true, noEmit: true, skipLibCheck: false },
        include: ['*.ts'],
      }),
    );
    const checked = spawnSync(TSC, ['-p', dir], { cwd: dir, encoding: 'utf8' });
    expect(checked.stdout + checked.stderr).toBe('');
    expect(checked.status).toBe(0);
  });

  it('should say what to install when imported without hono, not fail with Node\'s bare error', () => {
    const dir = join(pkg.workDir, 'no-peers');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'no-peers', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', pkg.tarball], { cwd: dir, stdio: 'ignore', timeout: 240_000 });
    writeFileSync(join(dir, 'client.mjs'), "import { createClient } from 'edge-sae/client';\ncreateClient('http://127.0.0.1:8787');\n");
    const result = spawnSync(process.execPath, ['client.mjs'], { cwd: dir, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('edge-sae/client needs hono, an optional peer dependency of edge-sae that is not installed here: npm install hono @hono/zod-openapi zod');
    // The library itself needs none of the peers.
    writeFileSync(join(dir, 'library.mjs'), "import { createModel } from 'edge-sae';\nconsole.log(typeof createModel);\n");
    expect(execFileSync(process.execPath, ['library.mjs'], { cwd: dir, encoding: 'utf8' })).toBe('function\n');
  }, 300_000);
});

describe('npm run dev\'s server', () => {
  it('should not restart right after it starts (wrangler.toml has no [build] command to re-run)', () => {
    // The server has been up for the whole packing and install by now; wrangler 4.86 used to
    // rebuild and restart once within a few seconds of starting when a [build] command was set.
    expect(server.log()).not.toMatch(/changed, restarting/);
  });
});

describe('the code blocks of the README and docs', () => {
  it('should have a reason for every block that does not run', () => {
    // A block in a language this test cannot run must say why it is not run.
    const unrunnable = blocks.filter((block) => block.lang !== '' && block.mode !== 'skip' && !['ts', 'sh', 'json'].includes(block.lang));
    expect(unrunnable.map(where)).toEqual([]);
    expect(blocks.filter((block) => block.mode === 'skip').every((block) => block.reason)).toBe(true);
  });

  for (const block of blocks.filter((b) => b.lang !== '' && b.mode !== 'skip')) {
    it(`should run ${where(block)} (${block.lang}${block.mode === 'client' ? ', client' : ''})`, { timeout: 240_000 }, () => {
      if (block.lang === 'json') {
        expect(() => JSON.parse(block.code), where(block)).not.toThrow();
        return;
      }
      const dir = blockDir(block);
      // The docs name the local dev server; the test's server listens on a port of its own.
      const code = block.code.replaceAll(DOCS_HOST, server.base);
      const result =
        block.lang === 'ts'
          ? (writeFileSync(join(dir, 'example.ts'), `export {};\n${code}`), spawnSync(TSX, ['example.ts'], { cwd: dir, encoding: 'utf8', timeout: 200_000 }))
          : (writeFileSync(join(dir, 'example.sh'), `curl() { command curl --fail-with-body "$@"; }\n${code}`),
            spawnSync('bash', ['-eo', 'pipefail', 'example.sh'], { cwd: dir, encoding: 'utf8', timeout: 200_000, env: shellEnv() }));
      expect(result.status, `${where(block)} failed:\n${result.stdout}\n${result.stderr}`).toBe(0);
    });
  }

  it('should fail a client block whose call fails (an example must not pass on a 401)', { timeout: 240_000 }, () => {
    const clientBlocks = blocks.filter((block) => block.mode === 'client');
    expect(clientBlocks.length).toBeGreaterThan(0);
    for (const block of clientBlocks) {
      expect(block.code, where(block)).toContain("'dev-admin-token'");
      const dir = blockDir(block);
      const code = block.code.replaceAll(DOCS_HOST, server.base).replaceAll("'dev-admin-token'", "'not-a-token'");
      writeFileSync(join(dir, 'wrong-token.ts'), `export {};\n${code}`);
      const result = spawnSync(TSX, ['wrong-token.ts'], { cwd: dir, encoding: 'utf8', timeout: 200_000 });
      expect(result.status, `${where(block)} passed with a wrong token:\n${result.stdout}\n${result.stderr}`).not.toBe(0);
      expect(result.stderr, where(block)).toMatch(/\b401\b/);
    }
  });
});
