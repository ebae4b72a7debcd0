/**
 * The edge-sae CLI as a user runs it, in a child process: help, exit codes, one-line errors,
 * nothing on stderr when it is not a terminal. bad-input.test.ts has the full list of bad inputs.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../helpers/cli.js';

const root = mkdtempSync(path.join(tmpdir(), 'edge-sae-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function expectOneLineError(r: CliResult, pattern: RegExp): void {
  expect(r.stdout).toBe('');
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(/^edge-sae: /);
  expect(r.stderr).toMatch(pattern);
  expect(r.code, r.stderr).toBe(2);
}

describe('edge-sae (child process)', () => {
  it('should print help and exit 0', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['train', 'encode', 'evaluate']) expect(r.stdout).toContain(`edge-sae ${c}`);
    expect(r.stderr).toBe('');
  });

  it('should print command help and exit 0', async () => {
    const r = await runCli(['encode', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--format csv|json');
  });

  it.each([
    [[], /missing command/],
    [['fit'], /unknown command "fit"/],
    [['train', '--data', 'd.csv', '--out', 'm.json', '--epochs', 'abc'], /--epochs: expected a whole number, got "abc"/],
    [['evaluate', '--model', 'm.json', '--data', 'd.csv', '--out', 'x'], /unknown option --out/],
  ])('should exit 2 on bad usage %j', async (argv, pattern) => {
    expectOneLineError(await runCli(argv, { cwd: root }), pattern);
  });

  it('should exit 2 naming file, row and column for bad data, and write nothing', async () => {
    const dir = mkdtempSync(path.join(root, 'case-'));
    writeFileSync(path.join(dir, 'bad.csv'), 'a,b,c\n1,2,3\n4,5\n');
    const r = await runCli(['train', '--data', 'bad.csv', '--out', 'm.json', '--epochs', '1'], { cwd: dir });
    expectOneLineError(r, /^edge-sae: bad\.csv, row 3, column 3: /);
    expect(readdirSync(dir)).toEqual(['bad.csv']);
  });

  it('should exit 2 naming the position in a malformed model file', async () => {
    const dir = mkdtempSync(path.join(root, 'case-'));
    writeFileSync(path.join(dir, 'm.json'), '{"format": "edge-sae"');
    writeFileSync(path.join(dir, 'd.csv'), '0.1,0.2\n');
    const r = await runCli(['evaluate', '--model', 'm.json', '--data', 'd.csv'], { cwd: dir });
    expectOneLineError(r, /^edge-sae: m\.json: invalid JSON at line 1, column 22: unexpected end of input/);
  });
});
