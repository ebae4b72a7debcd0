#!/usr/bin/env node
// Builds the Worker's static assets (wrangler.toml [assets]) into build/assets/: the committed
// files of assets/ (the playground's page and style, /docs's page, the headers), the playground's
// script bundled by esbuild from src/playground/main.ts (minified; the same sources give the same
// bytes), and Swagger UI's files from the swagger-ui-dist package, pinned by the lock, so /docs
// needs no CDN. A file is written only when its content changed, so a running `wrangler dev`
// sees no change when there is none.
import { build } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

const OUT = 'build/assets';
const require = createRequire(import.meta.url);
const swaggerDir = dirname(require.resolve('swagger-ui-dist/package.json'));

/** Every file under `dir`, as paths relative to it. */
function files(dir) {
  return readdirSync(dir, { recursive: true }).map(String).filter((path) => statSync(join(dir, path)).isFile());
}

let written = 0;
function put(to, bytes) {
  if (existsSync(to) && Buffer.compare(readFileSync(to), bytes) === 0) return;
  mkdirSync(dirname(to), { recursive: true });
  writeFileSync(to, bytes);
  written++;
}

for (const path of files('assets')) put(join(OUT, path), readFileSync(join('assets', path)));
const playground = await build({
  entryPoints: ['src/playground/main.ts'],
  bundle: true,
  minify: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  charset: 'utf8',
  legalComments: 'none',
  write: false,
  logLevel: 'warning',
});
put(join(OUT, 'playground.js'), Buffer.from(playground.outputFiles[0].contents));
for (const name of ['swagger-ui.css', 'swagger-ui-bundle.js']) put(join(OUT, 'docs', name), readFileSync(join(swaggerDir, name)));
console.log(`static assets: ${written} file(s) written to ${relative('.', OUT)}`);
