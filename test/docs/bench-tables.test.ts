/**
 * The README's benchmark figures are the scripts' output, not typed: the bench-table region is
 * bench/readme-table.ts's rendering of bench/results.json, the e2e-scale region its rendering of
 * bench/e2e-scale.json (`npx tsx bench/readme-table.ts` rewrites both).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { END, renderScale, renderTables, replaceRegion, SCALE_END, SCALE_START, START, type ScaleFigures } from '../../bench/readme-table.js';
import type { BenchResults } from '../../bench/run.js';
import { REPO_ROOT } from '../helpers/cli.js';

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');

describe("the README's benchmark figures", () => {
  it('should be the rendering of bench/results.json and bench/e2e-scale.json (npx tsx bench/readme-table.ts)', () => {
    const readme = read('README.md');
    const results = JSON.parse(read('bench/results.json')) as BenchResults;
    const scale = JSON.parse(read('bench/e2e-scale.json')) as ScaleFigures;
    const rendered = replaceRegion(replaceRegion(readme, START, END, renderTables(results)), SCALE_START, SCALE_END, renderScale(scale));
    expect(readme).toBe(rendered);
  });
});
