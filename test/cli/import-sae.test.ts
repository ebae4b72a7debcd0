/**
 * `edge-sae import` and `edge-sae export --format saelens|sparsify`: a library's folder in, a model
 * file out that encodes as the library does; the model back out as a folder that imports to the
 * same codes; hostile folders are exit 2 with the file and the field, and nothing is written.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { unzipSync } from 'fflate';
import { importSaeState } from '../../src/index.js';
import { importSae, loadModel } from '../../src/index.js';
import { runMain } from '../helpers/cli.js';
import { hostileCases } from '../sae-import/folders.js';
import { FIXTURES } from '../sae-import/library-formulas.js';

const root = mkdtempSync(path.join(tmpdir(), 'edge-sae-import-'));
const at = (name: string) => path.join(root, name);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const rows = [
  [0.5, -1, 2, 0, 1, 1, -0.5, 0.25],
  [1.5, 0.2, -2, 0.7, -1, 0.3, 0.5, -0.25],
];

describe('edge-sae import', () => {
  it.each(['saelens-topk-rescale-uncentred', 'llama-scope', 'dictionary-learning-batchtopk', 'openai-topk-v5'])('%s → a model file that encodes as importSae does', async (folder) => {
    const out = at(`${folder}.safetensors`);
    const r = await runMain(['import', '--from', path.join(FIXTURES, folder), '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ out, inputSize: 8, hiddenSize: 16 });
    const model = await loadModel(new Uint8Array(readFileSync(out)));
    const direct = await importSae(path.join(FIXTURES, folder));
    expect(model.encode(rows).data).toEqual(direct.encode(rows).data);
    expect(model.source).toEqual(direct.source);
  });

  it("an imported SAE's own density (SAELens' sparsity.safetensors) drawn by density without --data; a model without one needs --data", async () => {
    const out = at('sparsity.safetensors');
    expect((await runMain(['import', '--from', path.join(FIXTURES, 'saelens-standard'), '--out', out, '--quiet'])).code).toBe(0);
    const r = await runMain(['density', '--model', out, '--out', at('sparsity.svg'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ units: 16, rows: null, deadUnits: 2 });
    expect(readFileSync(at('sparsity.svg'), 'utf8')).toMatch(/Feature density \(as sae_lens measured it\): 16 units, 2 dead/);
    const none = at('no-sparsity.safetensors');
    expect((await runMain(['import', '--from', path.join(FIXTURES, 'saelens-gated'), '--out', none, '--quiet'])).code).toBe(0);
    const refused = await runMain(['density', '--model', none, '--out', at('none.svg')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--data is needed: .*carries no feature density/);
    expect(existsSync(at('none.svg'))).toBe(false);
  });

  it('--dtype bf16 and int8 write a narrower binary model (a bf16 source kept exactly); a JSON --out for them is exit 2', async () => {
    const folder = path.join(FIXTURES, 'sparsify-topk-bf16');
    const f32 = at('dt-f32.safetensors');
    expect((await runMain(['import', '--from', folder, '--out', f32, '--quiet'])).code).toBe(0);
    for (const dtype of ['bf16', 'int8'] as const) {
      const out = at(`dt-${dtype}.safetensors`);
      const r = await runMain(['import', '--from', folder, '--out', out, '--dtype', dtype, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ out, dtype });
      const model = await loadModel(new Uint8Array(readFileSync(out)));
      expect(model.weightDtype).toBe(dtype);
      expect(readFileSync(out).length).toBeLessThan(readFileSync(f32).length);
      if (dtype === 'bf16') expect(model.encode(rows).data).toEqual((await importSae(folder, { dtype: 'bf16' })).encode(rows).data);
    }
    const json = await runMain(['import', '--from', folder, '--out', at('dt.json'), '--dtype', 'bf16']);
    expect(json.code).toBe(2);
    expect(json.stderr).toMatch(/--out .*dt\.json: a bf16 model is written as a binary model file/);
    expect(existsSync(at('dt.json'))).toBe(false);
    expect((await runMain(['import', '--from', folder, '--out', at('dt2.safetensors'), '--dtype', 'f16'])).code).toBe(2);
  });

  it('a single OpenAI .pt file, and --format given', async () => {
    const r = await runMain(['import', '--from', path.join(FIXTURES, 'openai-relu', 'ae-layer-6.pt'), '--format', 'openai', '--out', at('o.json'), '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(at('o.json'), 'utf8')).config.architecture).toBe('relu');
  });

  it.each(hostileCases())('$name: exit 2 naming the file and the field, nothing written', async ({ files, names }) => {
    const dir = mkdtempSync(path.join(root, 'hostile-'));
    for (const [name, bytes] of files) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), bytes);
    }
    const out = path.join(dir, 'out.safetensors');
    const r = await runMain(['import', '--from', dir, '--out', out]);
    expect(r.code).toBe(2);
    for (const name of names) expect(r.stderr).toMatch(name);
    expect(existsSync(out)).toBe(false);
  });

  it('a folder of no known format: exit 2 listing what it holds; --out or --api required', async () => {
    const dir = mkdtempSync(path.join(root, 'empty-'));
    writeFileSync(path.join(dir, 'notes.json'), '{}');
    const r = await runMain(['import', '--from', dir, '--out', at('x.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/notes\.json.*saelens/);
    expect((await runMain(['import', '--from', dir])).stderr).toMatch(/--out: missing/);
  });
});

describe('edge-sae import --api', () => {
  it('sends the folder as a zip to POST /v1/models/import and prints the id', async () => {
    let received: { url: string; type: string; auth: string; body: Uint8Array } | null = null;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received = { url: req.url ?? '', type: req.headers['content-type'] ?? '', auth: req.headers.authorization ?? '', body: new Uint8Array(Buffer.concat(chunks)) };
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ id: 'm123', name: 'llama-scope', inputSize: 8, hiddenSize: 16, config: { architecture: 'jumprelu' } }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const r = await runMain(['import', '--from', path.join(FIXTURES, 'llama-scope'), '--api', `http://127.0.0.1:${port}`, '--token', 't0k']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^model m123: jumprelu 8 → 16 from llama-scope/);
      expect(received!.url).toBe('/v1/models/import?name=llama-scope');
      expect(received!.auth).toBe('Bearer t0k');
      // the zip holds the folder, and reads as the folder does
      const files = new Map(Object.entries(unzipSync(received!.body)));
      expect([...files.keys()].sort()).toEqual(['checkpoints/final.safetensors', 'hyperparams.json']);
      expect(importSaeState(files).state.parameters.W1).toEqual((await importSae(path.join(FIXTURES, 'llama-scope'))).toState().parameters.W1);
    } finally {
      server.close();
    }
  });

  it('a hostile folder is refused before anything is sent (exit 2)', async () => {
    const dir = mkdtempSync(path.join(root, 'hostile-api-'));
    const { files } = hostileCases()[0]!;
    for (const [name, bytes] of files) writeFileSync(path.join(dir, name), bytes);
    const r = await runMain(['import', '--from', dir, '--api', 'http://127.0.0.1:9', '--token', 't']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/os\.system/);
  });
});

describe('edge-sae export --format saelens|sparsify', () => {
  it('an imported topk model → saelens and sparsify folders → import: the same codes', async () => {
    const model = at('topk.safetensors');
    expect((await runMain(['import', '--from', path.join(FIXTURES, 'sparsify-topk-bf16'), '--out', model, '--quiet'])).code).toBe(0);
    const original = await loadModel(new Uint8Array(readFileSync(model)));
    for (const format of ['saelens', 'sparsify']) {
      const dir = at(`out-${format}`);
      const r = await runMain(['export', '--model', model, '--format', format, '--out', dir, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(readdirSync(dir).sort()).toEqual(format === 'saelens' ? ['cfg.json', 'sae_weights.safetensors'] : ['cfg.json', 'sae.safetensors']);
      const back = await importSae(dir);
      expect(back.encode(rows).data).toEqual(original.encode(rows).data);
    }
  });

  it('--dtype bf16 writes bfloat16 weights; --dtype with onnx is a usage error', async () => {
    const model = at('relu.json');
    expect((await runMain(['import', '--from', path.join(FIXTURES, 'saelens-standard'), '--out', model, '--quiet'])).code).toBe(0);
    const r = await runMain(['export', '--model', model, '--format', 'saelens', '--dtype', 'bf16', '--out', at('bf16')]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(at('bf16/cfg.json'), 'utf8')).dtype).toBe('bfloat16');
    expect((await importSae(at('bf16'))).source?.dtype).toBe('BF16');
    const bad = await runMain(['export', '--model', model, '--format', 'onnx', '--dtype', 'bf16', '--out', at('m.onnx')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--dtype/);
  });

  it('a relu model to sparsify: exit 2 saying sparsify is TopK', async () => {
    const r = await runMain(['export', '--model', at('relu.json'), '--format', 'sparsify', '--out', at('no')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/config\.architecture.*TopK/);
  });
});
