/**
 * Issue 24 through the CLI: a model file whose metrics nest deeply or are not the metrics (item 8)
 * is refused on load with exit 2 and one line naming the field, in either form; a model whose
 * finite but extreme values overflow (item 10) is exit 2 naming what overflowed, never a code
 * written as null or Infinity.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMain, type CliResult } from '../helpers/cli.js';
import { withHeader } from '../helpers/bad-binary-models.js';

const dir = mkdtempSync(path.join(tmpdir(), 'edge-sae-model-values-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => path.join(dir, name);

const CSV = 'a,b,c\n0.1,0.2,0.3\n0.4,0.5,0.6\n0.7,0.8,0.9\n0.2,0.1,0\n';
const nested = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

function expectRefusal(r: CliResult & { code: number }, pattern: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr.trimEnd().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr.length).toBeLessThan(600);
  expect(r.stderr).toMatch(pattern);
}

let modelText = '';

beforeAll(async () => {
  writeFileSync(at('d.csv'), CSV);
  const r = await runMain(['train', '--data', at('d.csv'), '--out', at('m.json'), '--epochs', '3', '--quiet']);
  expect(r.code, r.stderr).toBe(0);
  modelText = readFileSync(at('m.json'), 'utf8');
  const b = await runMain(['train', '--data', at('d.csv'), '--out', at('m.safetensors'), '--epochs', '3', '--quiet']);
  expect(b.code, b.stderr).toBe(0);
});

describe('edge-sae loading a model file with bad metrics', () => {
  it('should exit 2 naming metrics when they nest 6,000 levels deep (JSON file)', async () => {
    writeFileSync(at('deep.json'), modelText.replace(/"metrics":\{[^}]*\}/, `"metrics":{"loss":${nested(6_000)}}`));
    expectRefusal(await runMain(['encode', '--model', at('deep.json'), '--data', at('d.csv')]), /field "metrics": nests arrays and objects more than 32 levels deep/);
    expectRefusal(await runMain(['train', '--init', at('deep.json'), '--data', at('d.csv'), '--out', at('next.json'), '--epochs', '1']), /field "metrics"/);
  });

  it('should exit 2 naming __metadata__.metrics when a binary file\'s metrics nest deeply', async () => {
    const bytes = withHeader(new Uint8Array(readFileSync(at('m.safetensors'))), (header) => {
      header.__metadata__.metrics = `{"loss":${nested(6_000)}}`;
    });
    writeFileSync(at('deep.safetensors'), bytes);
    expectRefusal(await runMain(['evaluate', '--model', at('deep.safetensors'), '--data', at('d.csv')]), /field "__metadata__\.metrics"/);
  });

  it('should exit 2 naming the metric when the metrics hold text', async () => {
    const file = JSON.parse(modelText) as { metrics: Record<string, unknown> };
    file.metrics.loss = 'x'.repeat(1_000_000);
    writeFileSync(at('text.json'), JSON.stringify(file));
    expectRefusal(await runMain(['encode', '--model', at('text.json'), '--data', at('d.csv')]), /field "metrics\.loss": must be a finite number, got "x+"… \(1000000 characters\)/);
  });
});

describe('edge-sae with a model whose values are extreme (item 10)', () => {
  it('should exit 2 naming what overflowed, writing no code', async () => {
    const file = JSON.parse(modelText) as { normalization: Record<string, unknown> };
    file.normalization = { kind: 'minmax', min: [0, 0, 0], max: [1e-30, 1e-30, 1e-30] };
    writeFileSync(at('tiny-range.json'), JSON.stringify(file));
    writeFileSync(at('big.csv'), 'a,b,c\n1e9,2e9,3e9\n');
    for (const command of ['encode', 'evaluate']) {
      expectRefusal(await runMain([command, '--model', at('tiny-range.json'), '--data', at('big.csv')]), /the model's scaled inputs overflowed float32 \(Infinity at row 1 of the rows given\)/);
    }
  });
});
