/**
 * The README is a way in (issue 23): at most 16 KB; what it is, with a picture; the two commands
 * with how long they take; five minutes from the shipped sample data to a sparse model by the CLI,
 * the library and curl; links into docs/ for the rest, and to the tutorial and the papers.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDocBlocks } from '../helpers/doc-blocks.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { SPARSE_PRESETS } from '../../src/model/presets.js';
import { presetFlags } from '../../scripts/docs/sparsity.js';

const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
const headings = [...README.matchAll(/^(#{1,3}) (.+)$/gm)].map((m) => m[2]);
const section = (title: string) => {
  const start = README.indexOf(`## ${title}`);
  const next = README.indexOf('\n## ', start + 1);
  return README.slice(start, next < 0 ? undefined : next);
};

describe('the README', () => {
  it('should be at most 16 KB', () => {
    expect(Buffer.byteLength(README)).toBeLessThanOrEqual(16 * 1024);
  });

  it('should have its sections, in order', () => {
    const wanted = ['edge-sae', 'The two commands', 'Five minutes: from the sample data to a sparse model', 'With the CLI', 'With the library', 'With the HTTP API', 'Bring your own SAE', 'Everything else', 'Reading'];
    expect(headings.filter((h) => wanted.includes(h!))).toEqual(wanted);
  });

  it('should show a picture that the repository has, before the first command', () => {
    const pictures = [...README.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]!);
    expect(pictures.length).toBeGreaterThan(0);
    for (const picture of pictures) expect(existsSync(join(REPO_ROOT, picture)), picture).toBe(true);
    expect(README.indexOf('![')).toBeLessThan(README.indexOf('## The two commands'));
  });

  it('should give the two commands, npm ci then npm test, with how long they take', () => {
    const commands = section('The two commands');
    expect(commands).toMatch(/```sh\nnpm ci\b[^\n]*\nnpm test\b/);
    expect(commands).toMatch(/`npm ci` \d+ s/);
    expect(commands).toMatch(/`npm test` [\d.]+ min/);
  });

  it('should walk from the shipped sample data to a sparse model by CLI, library and curl, each block run by the doc-tests', () => {
    expect(existsSync(join(REPO_ROOT, 'examples/data/bars.csv'))).toBe(true);
    const walk = section('Five minutes: from the sample data to a sparse model');
    expect(walk).toContain('](examples/data/bars.csv)');
    expect(walk).toMatch(/<!-- sparsity:start/); // the measured l0 and fvu (generated-docs.test.ts checks they are current)
    const blocks = readDocBlocks(REPO_ROOT).filter((b) => b.file === 'README.md' && b.mode !== 'skip');
    const cli = blocks.find((b) => b.lang === 'sh' && b.code.includes('npx edge-sae train --data examples/data/bars.csv'));
    expect(cli, 'a CLI block on the sample data').toBeDefined();
    for (const command of ['encode', 'filters', 'density']) expect(cli!.code).toContain(`npx edge-sae ${command} `);
    // The settings are the preset's, whose figures the sparsity table and the cli-walk output show.
    expect(cli!.code.replace(/ \\\n\s*/g, ' ')).toContain(presetFlags(SPARSE_PRESETS.topk));
    expect(walk).toMatch(/<!-- cli-walk:start/);
    expect(cli!.code, 'every CLI line runs as written in a clone').not.toMatch(/^edge-sae /m);
    expect(blocks.some((b) => b.lang === 'ts' && b.code.includes("readDataFile('examples/data/bars.csv')") && b.code.includes('.encode('))).toBe(true);
    const settings = Object.entries({ ...SPARSE_PRESETS.topk.config, ...SPARSE_PRESETS.topk.training });
    const curl = blocks.find((b) => b.lang === 'sh' && b.code.includes("'content-type: text/csv' --data-binary @examples/data/bars.csv"));
    expect(curl, 'a curl block training on the sample data').toBeDefined();
    expect(curl!.code).toContain('/encode');
    for (const [key, value] of settings) expect(curl!.code, key).toContain(`${key}=${value}`);
  });

  it('should link into docs/ for the reference, and to the tutorial and the papers it names', () => {
    for (const doc of ['MODEL', 'ARCHITECTURES', 'SPARSITY', 'OPTIONS', 'LIBRARY', 'CLI', 'DATA', 'MODEL-FILES', 'FORMATS', 'API', 'DEPLOY', 'BENCHMARKS', 'RELIABILITY']) {
      expect(README, doc).toContain(`](docs/${doc}.md)`);
    }
    for (const url of [
      'https://web.stanford.edu/class/cs294a/sparseAutoencoder.pdf',
      'https://arxiv.org/abs/1312.5663',
      'https://transformer-circuits.pub/2023/monosemantic-features',
      'https://arxiv.org/abs/2406.04093',
    ]) {
      expect(README, url).toContain(`](${url}`);
    }
  });
});
