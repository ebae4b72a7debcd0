/**
 * Comments and docs cite the contract as "docs/SPEC.md section N": each cited section exists in
 * docs/SPEC.md, and no citation names a spec file the repository does not have.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/wrangler-dev.js';

const SEARCHED = ['src', 'assembly', 'test', 'bench', 'scripts', 'docs'];

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : files(path);
    return /\.(ts|mjs|js|md)$/.test(entry.name) ? [path] : [];
  });
}

describe('citations of the contract', () => {
  it('should cite only sections docs/SPEC.md has, and no other spec file', () => {
    const spec = readFileSync(join(ROOT, 'docs', 'SPEC.md'), 'utf8');
    const sections = new Set([...spec.matchAll(/^## (\d+)\. /gm)].map((m) => m[1]));
    expect([...sections]).toEqual(['1', '2', '3', '4', '5']);
    const cited: string[] = [];
    const astray: string[] = [];
    for (const file of [...SEARCHED.flatMap((dir) => files(join(ROOT, dir))), join(ROOT, 'README.md')]) {
      if (file === join(ROOT, 'docs', 'SPEC.md') || file === join(ROOT, 'test', 'config', 'spec-citations.test.ts')) continue;
      const where = relative(ROOT, file);
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        for (const m of line.matchAll(/SPEC(?:\.md)?(?:\]\([^)]*\))? (?:section |§)(\d+)/g)) {
          cited.push(m[1]!);
          if (!sections.has(m[1]!)) astray.push(`${where}: section ${m[1]} does not exist`);
        }
        if (/shared\/SPEC|\bSPEC section|\bSPEC §/.test(line.replace(/docs\/SPEC\.md/g, ''))) astray.push(`${where}: ${line.trim()}`);
      }
    }
    expect(astray).toEqual([]);
    expect(cited.length).toBeGreaterThan(20);
  });
});
