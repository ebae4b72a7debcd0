/**
 * The repository is self-contained (issue 12 item 14): no markdown file links to a path outside
 * it or to a file it does not have, and no source, test, bench or script file names a path
 * outside it — in particular the sibling `shared/` folder of the machine it was written on, whose
 * notes (the toolchain, the spec) belong in docs/ instead.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/wrangler-dev.js';

const SKIPPED = new Set(['node_modules', 'dist', 'build', '.git', '.wrangler']);
const CODE_DIRS = ['src', 'test', 'bench', 'scripts', 'assembly'];

function files(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED.has(entry.name) ? [] : files(path, pattern);
    return pattern.test(entry.name) ? [path] : [];
  });
}

// Spelt in parts, so that this file does not name the folder itself.
const UP = '..' + '/';
const SHARED = `${UP}shared/`;

const inside = (path: string) => path === ROOT || path.startsWith(ROOT + sep);

/** What is wrong with the paths a file names: outside the repository, or the shared folder. */
function astrayPaths(file: string, text: string): string[] {
  const where = relative(ROOT, file);
  const found: string[] = [];
  text.split('\n').forEach((line, k) => {
    const at = `${where}:${k + 1}`;
    // The sibling folder of the machine, however it is reached.
    if (/(?:^|[^\w.])\.\.\/(?:\.\.\/)*shared\//.test(line)) found.push(`${at}: names ${SHARED}: ${line.trim()}`);
    // Any relative path climbing out of the repository from where the file is.
    for (const m of line.matchAll(/(?:^|[^\w./])((?:\.\.\/)+[\w.-]+(?:\/[\w.-]+)*)/g)) {
      if (!inside(resolve(dirname(file), m[1]!))) found.push(`${at}: ${m[1]} is outside the repository`);
    }
  });
  return found;
}

describe('paths the repository names', () => {
  const markdown = files(ROOT, /\.md$/);
  const code = CODE_DIRS.flatMap((dir) => files(join(ROOT, dir), /\.(ts|mts|mjs|js)$/));

  it('should find the files it checks', () => {
    expect(markdown.map((f) => relative(ROOT, f))).toEqual(expect.arrayContaining(['README.md', join('docs', 'DEVELOPMENT.md'), join('docs', 'API.md')]));
    expect(code.length).toBeGreaterThan(100);
  });

  it('should link from markdown only to files of the repository', () => {
    const astray: string[] = [];
    for (const file of markdown) {
      const text = readFileSync(file, 'utf8');
      astray.push(...astrayPaths(file, text));
      for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
        const target = m[1]!;
        if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue; // a URL or an anchor
        const path = resolve(target.startsWith('/') ? ROOT : dirname(file), decodeURI(target.replace(/#.*$/, '').replace(/^\//, '')));
        if (!inside(path)) astray.push(`${relative(ROOT, file)}: links to ${target}, outside the repository`);
        else if (!existsSync(path)) astray.push(`${relative(ROOT, file)}: links to ${target}, which the repository does not have`);
      }
    }
    expect(astray).toEqual([]);
  });

  it('should name no path outside the repository in src, test, bench, scripts or assembly', () => {
    expect(code.flatMap((file) => astrayPaths(file, readFileSync(file, 'utf8')))).toEqual([]);
  });

  it('should catch what it is meant to catch', () => {
    const doc = join(ROOT, 'docs', 'X.md');
    expect(astrayPaths(doc, `see ${SHARED}TOOLCHAIN.md for why`)).toHaveLength(1);
    expect(astrayPaths(doc, `see ${UP}${UP}elsewhere/NOTES.md`)).toHaveLength(1);
    expect(astrayPaths(join(ROOT, 'src', 'a.ts'), `// as ${UP}${SHARED}SPEC.md says`)).toHaveLength(2);
    expect(astrayPaths(join(ROOT, 'test', 'x', 'a.ts'), "import { b } from '../../src/b.js';")).toEqual([]);
  });
});
