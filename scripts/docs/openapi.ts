/**
 * The Worker's OpenAPI document (what GET /openapi.json answers), built in Node: src/api/app.ts
 * bundled by esbuild with workerd's own imports stubbed (`cloudflare:workers`, the `.wasm`
 * modules: building the document loads no kernels and runs no Durable Object), then asked for
 * /openapi.json. For the docs scripts and their tests; a second or two.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '../..');

export interface OpenApiDocument {
  paths: Record<string, Record<string, { security?: Record<string, string[]>[] }>>;
}

export async function openApiDocument(): Promise<OpenApiDocument> {
  const result = await build({
    entryPoints: [join(ROOT, 'src/api/app.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    logLevel: 'silent',
    loader: { '.wasm': 'empty' },
    plugins: [
      {
        name: 'workerd-stubs',
        setup(b) {
          b.onResolve({ filter: /^cloudflare:workers$/ }, () => ({ path: 'cloudflare:workers', namespace: 'stub' }));
          b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: 'export class DurableObject {}\nexport const env = {};\n', loader: 'js' }));
        },
      },
    ],
  });
  const dir = mkdtempSync(join(tmpdir(), 'edge-sae-openapi-'));
  try {
    const file = join(dir, 'app.mjs');
    writeFileSync(file, result.outputFiles[0]!.text);
    const { createApp } = (await import(pathToFileURL(file).href)) as typeof import('../../src/api/app.js');
    const res = await createApp().request('/openapi.json');
    if (res.status !== 200) throw new Error(`GET /openapi.json answered ${res.status}`);
    return (await res.json()) as OpenApiDocument;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
