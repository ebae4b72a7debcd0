/**
 * "auto" falling back in Node, with the real backends, where the SIMD kernels cannot run:
 *
 * - the module fails to load: a copy of the package whose build/kernels.wasm is missing (a
 *   checkout nobody ran `npm run build:wasm` in) or is not WebAssembly;
 * - the SIMD probe fails: `node --jitless`, a real V8 without WebAssembly (so tfjs-wasm goes too,
 *   and tfjs-cpu is what is left); and in-process, resolveBackend's probe answering "no".
 *
 * Each shows the fallback at the level of the model (its backendName, backendReport, and the
 * model file's training.backend) and of the CLI (`edge-sae train --backend auto`'s output line).
 * select.test.ts covers resolveBackend's logic with fake providers.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { nodeBackendProviders } from '../../src/backends/node-providers.js';
import { NO_SIMD_REASON, resolveBackend } from '../../src/backends/select.js';
import { SparseAutoencoder } from '../../src/model/sparse-autoencoder.js';
import { REPO_ROOT, runNodeProcess, type CliResult } from '../helpers/cli.js';

const ROWS = [
  [0, 0.5, 1],
  [1, 0.25, 0],
  [0.5, 0.75, 0.25],
  [0.2, 0.1, 0.9],
];
const CSV = `${ROWS.map((row) => row.join(',')).join('\n')}\n`;
/** tsx as a loader in the same process (its cli.mjs runs a child node, which would drop our node flags). */
const TSX_LOADER = pathToFileURL(path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;

/** What the library script below prints. */
interface LibraryOutput {
  backend: string;
  report: { requested: string; chosen: string; skipped: { name: string; reason: string }[] };
  trainedWith: string;
  codes: number;
}

/** A script using the library as a user would (createModel on "auto", fit, encode, save), importing `index`. */
function libraryScript(index: string): string {
  return `
import { createModel } from ${JSON.stringify(index)};
const model = await createModel(3, { hiddenSize: 6 }, { seed: 1 });
model.fit(${JSON.stringify(ROWS)}, { epochs: 5 });
const codes = model.encode(${JSON.stringify(ROWS)});
console.log(JSON.stringify({
  backend: model.backendName,
  report: model.backendReport,
  trainedWith: model.toFile().training.backend,
  codes: codes.rows * codes.cols,
}));
model.dispose();
`;
}

let work: string;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'edge-sae-fallback-'));
  writeFileSync(path.join(work, 'data.csv'), CSV);
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

/**
 * A copy of the package's sources (run through tsx) with the dependencies linked but without
 * build/: what a checkout looks like before `npm run build:wasm`.
 */
function packageCopyWithoutKernels(name: string): string {
  const root = path.join(work, name);
  mkdirSync(root);
  cpSync(path.join(REPO_ROOT, 'src'), path.join(root, 'src'), { recursive: true });
  for (const file of ['package.json', 'tsconfig.json']) cpSync(path.join(REPO_ROOT, file), path.join(root, file));
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  writeFileSync(path.join(root, 'library.ts'), libraryScript('./src/index.js'));
  return root;
}

/** Runs `node [nodeFlags] --import tsx <script> [args]` in `cwd` (test/helpers/cli.ts's runCli takes no node flags). */
function runNode(cwd: string, nodeFlags: string[], script: string, args: string[]): Promise<CliResult> {
  return runNodeProcess([...nodeFlags, '--import', TSX_LOADER, script, ...args], { cwd });
}

function trainArgs(out: string, backend = 'auto'): string[] {
  return ['train', '--data', path.join(work, 'data.csv'), '--out', out, '--epochs', '5', '--hidden', '6', '--backend', backend, '--json', '--quiet'];
}

/** The CLI's one-line JSON summary of `train` (--json). */
function summaryOf(result: CliResult): { backend: string; requestedBackend: string; skippedBackends: { name: string; reason: string }[] } {
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout);
}

function trainedWith(modelPath: string): string {
  return (JSON.parse(readFileSync(modelPath, 'utf8')) as { training: { backend: string } }).training.backend;
}

describe('auto when the AssemblyScript module fails to load', () => {
  it('should fall back to tfjs-wasm when build/kernels.wasm is missing, and say so', async () => {
    const root = packageCopyWithoutKernels('missing');
    const missing = path.join(root, 'build', 'kernels.wasm');

    const library = await runNode(root, [], path.join(root, 'library.ts'), []);
    expect(library.code, library.stderr).toBe(0);
    const out = JSON.parse(library.stdout) as LibraryOutput;
    expect(out).toMatchObject({ backend: 'tfjs-wasm', trainedWith: 'tfjs-wasm', codes: 4 * 6 });
    expect(out.report).toMatchObject({ requested: 'auto', chosen: 'tfjs-wasm' });
    expect(out.report.skipped).toHaveLength(1);
    expect(out.report.skipped[0]!.name).toBe('assemblyscript');
    expect(out.report.skipped[0]!.reason).toContain(`${missing} is missing`);

    const model = path.join(root, 'model.json');
    const summary = summaryOf(await runNode(root, [], path.join(root, 'src', 'cli', 'main.ts'), trainArgs(model)));
    expect(summary).toMatchObject({ backend: 'tfjs-wasm', requestedBackend: 'auto' });
    expect(summary.skippedBackends).toEqual([{ name: 'assemblyscript', reason: out.report.skipped[0]!.reason }]);
    expect(trainedWith(model)).toBe('tfjs-wasm');

    // Asked for by name, the missing backend is an error naming the file, not a silent fallback.
    const explicit = await runNode(root, [], path.join(root, 'src', 'cli', 'main.ts'), trainArgs(path.join(root, 'never.json'), 'assemblyscript'));
    expect(explicit.code).toBe(1);
    expect(explicit.stdout).toBe('');
    expect(explicit.stderr).toContain("backend 'assemblyscript' is not available");
    expect(explicit.stderr).toContain(missing);
  });

  it('should fall back to tfjs-wasm when build/kernels.wasm is not WebAssembly, and say so', async () => {
    const root = packageCopyWithoutKernels('corrupt');
    const corrupt = path.join(root, 'build', 'kernels.wasm');
    mkdirSync(path.dirname(corrupt));
    writeFileSync(corrupt, 'not wasm');

    const model = path.join(root, 'model.json');
    const summary = summaryOf(await runNode(root, [], path.join(root, 'src', 'cli', 'main.ts'), trainArgs(model)));
    expect(summary.backend).toBe('tfjs-wasm');
    expect(summary.skippedBackends).toHaveLength(1);
    expect(summary.skippedBackends[0]!.name).toBe('assemblyscript');
    expect(summary.skippedBackends[0]!.reason).toContain(`${corrupt} is not a valid kernels module`);
    expect(summary.skippedBackends[0]!.reason).toContain('magic word');
    expect(trainedWith(model)).toBe('tfjs-wasm');
  });
});

describe('auto when the SIMD probe fails', () => {
  it('should fall back to tfjs-wasm in-process when the probe says no, and record why on the model', async () => {
    const { backend, report } = await resolveBackend('auto', nodeBackendProviders(), () => false);
    expect(report).toEqual({
      requested: 'auto',
      chosen: 'tfjs-wasm',
      skipped: [{ name: 'assemblyscript', reason: NO_SIMD_REASON }],
    });
    const model = SparseAutoencoder.create(3, { hiddenSize: 6 }, backend, { seed: 1, backendReport: report });
    try {
      model.fit(ROWS, { epochs: 5 });
      expect(model.backendName).toBe('tfjs-wasm');
      expect(model.backendReport).toEqual(report);
      expect(model.toFile().training.backend).toBe('tfjs-wasm');
    } finally {
      model.dispose();
    }
  });

  it('should fall back to tfjs-cpu under node --jitless (no WebAssembly at all), in the library and the CLI', async () => {
    const expected = [
      { name: 'assemblyscript', reason: NO_SIMD_REASON },
      { name: 'tfjs-wasm', reason: 'no WebAssembly in this runtime' },
    ];
    const script = path.join(work, 'jitless-library.mts');
    writeFileSync(script, libraryScript(pathToFileURL(path.join(REPO_ROOT, 'src', 'index.js')).href));
    const library = await runNode(REPO_ROOT, ['--jitless'], script, []);
    expect(library.code, library.stderr).toBe(0);
    const out = JSON.parse(library.stdout) as LibraryOutput;
    expect(out).toMatchObject({ backend: 'tfjs-cpu', trainedWith: 'tfjs-cpu', codes: 4 * 6 });
    expect(out.report).toEqual({ requested: 'auto', chosen: 'tfjs-cpu', skipped: expected, threads: { requested: 'auto', used: 1, reason: 'the tfjs-cpu backend runs on one thread' } });

    const model = path.join(work, 'jitless.json');
    const summary = summaryOf(await runNode(REPO_ROOT, ['--jitless'], path.join(REPO_ROOT, 'src', 'cli', 'main.ts'), trainArgs(model)));
    expect(summary).toEqual(expect.objectContaining({ backend: 'tfjs-cpu', requestedBackend: 'auto', skippedBackends: expected }));
    expect(trainedWith(model)).toBe('tfjs-cpu');

    // The summary for people says it too.
    const human = await runNode(REPO_ROOT, ['--jitless'], path.join(REPO_ROOT, 'src', 'cli', 'main.ts'),
      trainArgs(model).filter((arg) => arg !== '--json' && arg !== '--quiet'));
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('tfjs-cpu');
    expect(human.stdout).toContain(NO_SIMD_REASON);
  });
});
