/**
 * The expected output of the README's CLI walk (the topk preset on the sample data): the CLI itself
 * (src/cli/main.ts, in this process) runs `train`, `evaluate` and `encode` as the README's block
 * does, and its own words are what the README shows, so no line of it is typed by hand. The
 * training time, the one figure that changes from run to run, is shown as "…".
 * `npm run docs` writes it into the README's cli-walk region; test/docs/generated-docs.test.ts
 * fails when it is stale (after a change to the CLI's summary, say).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';
import { SPARSE_PRESETS } from '../../src/model/presets.js';
import { presetFlags, SAMPLE_DATA } from './sparsity.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function cli(argv: string[]): Promise<string> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text), stderrIsTTY: false });
  if (code !== 0) throw new Error(`edge-sae ${argv.join(' ')} exited ${code}: ${stderr}`);
  return stdout;
}

/** What the README's CLI block prints for `train` and for the first two rows of codes. */
export async function renderCliWalk(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'edge-sae-walk-'));
  try {
    const data = join(ROOT, SAMPLE_DATA);
    const model = join(dir, 'sae.json');
    const codes = join(dir, 'codes.csv');
    const train = await cli(['train', '--data', data, '--out', model, ...presetFlags(SPARSE_PRESETS.topk).split(' ')]);
    await cli(['encode', '--model', model, '--data', data, '--out', codes]);
    const firstRows = readFileSync(codes, 'utf8').split('\n').slice(0, 2);
    const shown = train.replaceAll(model, 'sae.json').replace(/ in \d+(\.\d+)? s /, ' in … s ').trimEnd();
    return ['```', '$ npx edge-sae train …', shown, '$ head -n 2 codes.csv', ...firstRows, '```', ''].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
