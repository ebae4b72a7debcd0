/**
 * The float64 reference (src/reference/) is the tests' oracle, not part of the package: the
 * library build leaves it out, `npm pack` would not ship a stale copy of it, and no shipped
 * source imports it. The playground's browser script (src/playground/, a static asset of the
 * Worker) is not part of the library either.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/wrangler-dev.js';

const REFERENCE = join(ROOT, 'src', 'reference');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('what the package ships', () => {
  it('should leave src/reference out of the library build and the packed files', () => {
    const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as { exclude: string[] };
    expect(build.exclude).toContain('src/reference');
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
    ) as Array<{ files: Array<{ path: string }> }>;
    const paths = packed[0]!.files.map((file) => file.path);
    expect(paths).toContain('bin/edge-sae.js');
    expect(paths.filter((path) => path.startsWith('dist/src/reference/') || path.startsWith('src/reference/'))).toEqual([]);
    expect(build.exclude).toContain('src/playground');
    expect(paths.filter((path) => path.startsWith('dist/src/playground/'))).toEqual([]);
    // The license package.json names, as a file beside it.
    expect(paths).toContain('LICENSE');
    expect((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { license: string }).license).toBe('MIT');
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} .+\n\nPermission is hereby granted, free of charge,/);
  }, 30_000);

  it('should have no source outside src/reference import it', () => {
    const importers: string[] = [];
    for (const file of sources(join(ROOT, 'src'))) {
      if (file.startsWith(REFERENCE + '/')) continue;
      for (const match of readFileSync(file, 'utf8').matchAll(/\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/g)) {
        const specifier = match[1] ?? match[2];
        if (specifier?.startsWith('.') && resolve(dirname(file), specifier).startsWith(REFERENCE)) importers.push(relative(ROOT, file));
      }
    }
    expect(importers).toEqual([]);
  });
});
