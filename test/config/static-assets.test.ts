/**
 * The static assets (scripts/build-assets.mjs → build/assets, wrangler.toml [assets]): a second
 * build writes nothing (a running `wrangler dev` must not see its watched files change, issue 12),
 * the playground's script is the minified bundle without source maps, and the headers file gives
 * every page a CSP that allows scripts from the origin only.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/wrangler-dev.js';

const build = () => execFileSync(process.execPath, ['scripts/build-assets.mjs'], { cwd: ROOT, encoding: 'utf8' });
const asset = (path: string) => readFileSync(join(ROOT, 'build', 'assets', path), 'utf8');

describe('static assets', () => {
  it('should write nothing when built a second time', { timeout: 30_000 }, () => {
    build();
    expect(build()).toContain('static assets: 0 file(s) written');
  });

  it('should serve the playground as index.html with its bundled script and style', () => {
    const html = asset('index.html');
    expect(html).toContain('<script src="/playground.js" defer></script>');
    expect(html).toContain('<link rel="stylesheet" href="/playground.css">');
    // No inline script: every <script> has a src.
    expect(html.match(/<script(?![^>]*\bsrc=)[^>]*>/g)).toBeNull();
    const script = asset('playground.js');
    expect(script).not.toContain('sourceMappingURL');
    expect(script).not.toContain('/**'); // minified: no doc comments
    expect(script).toContain('edge-sae-token'); // src/playground/main.ts's own code is in the bundle
    expect(asset('playground.css')).toBe(readFileSync(join(ROOT, 'assets', 'playground.css'), 'utf8'));
  });

  it('should give every asset a CSP with scripts from this origin only', () => {
    const headers = asset('_headers');
    const rules = headers.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
    expect(rules[0]).toBe('/*');
    const csp = rules.find((line) => line.trim().startsWith('Content-Security-Policy:'))!;
    const scriptSrc = /script-src ([^;]*)/.exec(csp)![1]!.trim();
    expect(scriptSrc).toBe("'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
  });
});
