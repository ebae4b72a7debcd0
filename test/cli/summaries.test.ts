/**
 * What train and encode say when they succeed: train's loss line names the terms the architecture's
 * loss has (no "weight decay 0" for relu and topk, their L1 or AuxK term named), and encode says
 * in one line on stderr what it encoded and where it went, leaving stdout to the codes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runMain } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'edge-sae-summaries-'));
const at = (name: string) => join(dir, name);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 40 rows of 6 columns in [0, 1]. */
writeFileSync(at('d.csv'), Array.from({ length: 40 }, (_, i) => Array.from({ length: 6 }, (_, j) => (((i + 2) * (j + 5)) % 11) / 10).join(',')).join('\n') + '\n');

const NUMBER = String.raw`[\d.e+-]+`;

describe('edge-sae train\'s summary', () => {
  it.each([
    ['sigmoid', [], `reconstruction ${NUMBER} \\+ weight decay ${NUMBER} \\+ sparsity ${NUMBER}`],
    ['relu', ['--normalize', 'standardize'], `reconstruction ${NUMBER} \\+ L1 ${NUMBER}`],
    ['topk', ['--k', '4'], `reconstruction ${NUMBER} \\+ AuxK ${NUMBER}`],
  ])('should print the loss terms a %s model has', async (architecture, extra, terms) => {
    const out = at(`${architecture}.json`);
    const result = await runMain(['train', '--data', at('d.csv'), '--out', out, '--architecture', architecture, ...extra, '--epochs', '5']);
    expect(result.code, result.stderr).toBe(0);
    const line = result.stdout.split('\n')[1]!;
    expect(line).toMatch(new RegExp(`^loss ${NUMBER} = ${terms}$`));
    // The terms printed add up to the loss printed (each to 6 significant digits).
    const [loss, ...parts] = line.split(/ = | \+ /).map((term) => Number(term.split(' ').at(-1)));
    expect(Math.abs(parts.reduce((a, b) => a + b, 0) - loss!)).toBeLessThan(1e-5 * Math.max(1, loss!));
  });
});

describe('edge-sae encode', () => {
  it('should say on stderr what it wrote to --out, in one line, and nothing on stdout', async () => {
    const result = await runMain(['encode', '--model', at('topk.json'), '--data', at('d.csv'), '--out', at('codes.csv')]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(new RegExp(`^encoded 40 rows → 18 codes each \\(l0 ${NUMBER} active a row\\), wrote .*codes\\.csv \\(csv\\)\\n$`));
    // topk keeps at most k = 4 codes a row.
    const l0 = Number(/l0 ([\d.]+)/.exec(result.stderr)![1]);
    expect(l0).toBeGreaterThan(0);
    expect(l0).toBeLessThanOrEqual(4);
    expect(readFileSync(at('codes.csv'), 'utf8').trimEnd().split('\n')).toHaveLength(40);
  });

  it('should keep stdout to the codes: the summary on a terminal\'s stderr, none into a pipe or log', async () => {
    const terminal = await runMain(['encode', '--model', at('relu.json'), '--data', at('d.csv')], { stderrIsTTY: true });
    expect(terminal.code, terminal.stderr).toBe(0);
    expect(terminal.stdout.trimEnd().split('\n')).toHaveLength(40);
    expect(terminal.stderr).toMatch(/^encoded 40 rows → 18 codes each \(l0 [\d.]+ active a row\), to stdout \(csv\)\n$/);
    const piped = await runMain(['encode', '--model', at('relu.json'), '--data', at('d.csv')]);
    expect(piped.stdout).toBe(terminal.stdout);
    expect(piped.stderr).toBe('');
  });
});
