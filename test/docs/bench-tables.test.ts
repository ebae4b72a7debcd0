/**
 * The benchmark figures of the docs are the scripts' output, not typed: the bench-table region of
 * docs/BENCHMARKS.md is bench/readme-table.ts's rendering of bench/results.json, the e2e-scale
 * region of docs/DATA.md its rendering of bench/e2e-scale.json (`npx tsx bench/readme-table.ts`
 * rewrites both; scripts/docs/targets.ts says where they live).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { END, renderScale, renderTables, replaceRegion, SCALE_END, SCALE_START, START, type ScaleFigures } from '../../bench/readme-table.js';
import type { BenchResults } from '../../bench/run.js';
import { REGION_FILES } from '../../scripts/docs/targets.js';
import { REPO_ROOT } from '../helpers/cli.js';

const read = (path: string) => readFileSync(join(REPO_ROOT, path), 'utf8');

describe('the benchmark figures of the docs', () => {
  it('should be the rendering of bench/results.json (npx tsx bench/readme-table.ts)', () => {
    const doc = read(REGION_FILES.benchTable);
    const results = JSON.parse(read('bench/results.json')) as BenchResults;
    expect(doc).toBe(replaceRegion(doc, START, END, renderTables(results)));
  });

  it('should be the rendering of bench/e2e-scale.json (npx tsx bench/readme-table.ts)', () => {
    const doc = read(REGION_FILES.e2eScale);
    const scale = JSON.parse(read('bench/e2e-scale.json')) as ScaleFigures;
    expect(doc).toBe(replaceRegion(doc, SCALE_START, SCALE_END, renderScale(scale)));
  });

  it('should have left none of them in the README', () => {
    expect(read('README.md')).not.toContain(START.slice(0, 20));
    expect(read('README.md')).not.toContain(SCALE_START.slice(0, 20));
  });
});
