/**
 * Every relative link of the README and docs/*.md resolves: the file exists in the repository,
 * and a `#anchor` names a heading (or an explicit id) of the file it points into.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { docFiles } from '../helpers/doc-blocks.js';
import { anchorsOf, headingSlug, relativeLinks } from '../helpers/markdown-links.js';
import { REPO_ROOT } from '../helpers/cli.js';

/** What is wrong with the relative links of `file` (a path in the repository). */
function brokenLinks(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const broken: string[] = [];
  for (const { line, target } of relativeLinks(text)) {
    const at = `${relative(REPO_ROOT, file)}:${line}: ${target}`;
    const [path, anchor] = target.split('#', 2) as [string, string | undefined];
    const into = path === '' ? file : resolve(dirname(file), decodeURI(path));
    if (!existsSync(into)) {
      broken.push(`${at}: no such file`);
      continue;
    }
    if (anchor === undefined) continue;
    if (!into.endsWith('.md') || statSync(into).isDirectory()) {
      broken.push(`${at}: an anchor into a file that is not markdown`);
      continue;
    }
    if (!anchorsOf(readFileSync(into, 'utf8')).has(decodeURIComponent(anchor))) broken.push(`${at}: ${relative(REPO_ROOT, into)} has no heading #${anchor}`);
  }
  return broken;
}

describe('the links of the README and docs', () => {
  const files = docFiles(REPO_ROOT);

  it('should check the README and every docs/*.md, which link to each other', () => {
    expect(files.map((f) => relative(REPO_ROOT, f))).toEqual(expect.arrayContaining(['README.md', join('docs', 'MODEL.md'), join('docs', 'SPARSITY.md')]));
    expect(relativeLinks(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')).length).toBeGreaterThan(15);
  });

  it('should resolve every relative link, to a file and to a heading', () => {
    expect(files.flatMap(brokenLinks)).toEqual([]);
  });

  it('should slug headings as GitHub does, and catch a broken link or anchor', () => {
    expect(headingSlug('Architectures: `relu` and `topk`')).toBe('architectures-relu-and-topk');
    expect(headingSlug('Two defects of the tutorial, fixed here')).toBe('two-defects-of-the-tutorial-fixed-here');
    expect(headingSlug('Five minutes: from the sample data to a sparse model')).toBe('five-minutes-from-the-sample-data-to-a-sparse-model');
    expect([...anchorsOf('# A\n## Sweeps\n## Sweeps\n```\n# not a heading\n```\n')]).toEqual(['a', 'sweeps', 'sweeps-1']);
    const links = relativeLinks('see [x](docs/X.md#y), [web](https://example.org), `[code](not/a/link)`, ![p](img/p.png)\n```\n[in](code.md)\n```\n');
    expect(links.map((l) => l.target)).toEqual(['docs/X.md#y', 'img/p.png']);
  });

  it('should report a missing file and a missing heading', () => {
    const dir = mkdtempSync(join(tmpdir(), 'links-'));
    try {
      writeFileSync(join(dir, 'B.md'), '# B\n\n## There\n');
      writeFileSync(join(dir, 'A.md'), '[ok](B.md#there) [gone](C.md) [wrong](B.md#elsewhere) [self](#a) [no](#nowhere)\n# A\n');
      expect(brokenLinks(join(dir, 'A.md')).map((problem) => problem.replace(/^.*?A\.md:1: /, ''))).toEqual([
        'C.md: no such file',
        `B.md#elsewhere: ${relative(REPO_ROOT, join(dir, 'B.md'))} has no heading #elsewhere`,
        `#nowhere: ${relative(REPO_ROOT, join(dir, 'A.md'))} has no heading #nowhere`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
